// Command tend is a container init: it runs one command as its main child,
// forwards signals to it, reaps every zombie, stops leftovers with a grace
// period, and exits with the child's status.
package main

import (
	"os"

	_ "github.com/tend-init/tend/cmd/tend/internal/oneproc" // first: one P before any other package runs

	"github.com/tend-init/tend/signals"
	"github.com/tend-init/tend/supervise"
	"github.com/tend-init/tend/supervise/spawn"
)

func main() {
	if err := supervise.CheckFiles(); err != nil { // before anything opens a file
		printError(err)
		os.Exit(supervise.ExitUsage)
	}
	// Before anything else: a SIGTERM now must not kill tend.
	in := signals.Start(os.Args, queueSignals(os.Args, os.Environ()))
	spawn.SaveFileLimit()
	os.Exit(run(os.Args, in))
}

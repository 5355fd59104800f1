// Command tend is a container init: it runs one command as its main child,
// forwards signals to it, reaps every zombie, stops leftovers with a grace
// period, and exits with the child's status.
package main

import (
	"os"

	"github.com/tend-init/tend/signals"
	"github.com/tend-init/tend/supervise"
)

func main() {
	if err := supervise.CheckFiles(); err != nil { // before anything opens a file
		printError(err)
		os.Exit(supervise.ExitUsage)
	}
	isolated := signals.Isolate(os.Args) // may execute tend again, once
	in := signals.Notify(isolated)       // before anything else: a SIGTERM now must not kill tend
	_ = signals.ResetIgnored()
	supervise.SaveFileLimit()
	os.Exit(run(os.Args, in))
}

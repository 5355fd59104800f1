// Command tend is a container init: it runs one command as its main child,
// forwards signals to it, reaps every zombie, stops leftovers with a grace
// period, and exits with the child's status.
package main

import (
	"os"
	"runtime"

	"github.com/tend-init/tend/signals"
	"github.com/tend-init/tend/supervise"
)

// init pins the main goroutine to the main thread: supervise.Run forks from
// it, and --pdeathsig belongs to it (golang/go#27505).
func init() { runtime.LockOSThread() }

func main() {
	supervise.ListenTrampoline(os.Args)
	in := signals.Notify() // before anything else: a SIGTERM now must not kill tend
	os.Exit(run(os.Args, in))
}

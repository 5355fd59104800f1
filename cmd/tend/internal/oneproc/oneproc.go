// Package oneproc puts tend on one P (GOMAXPROCS 1) before any other
// package of tend's is initialised. Import it for its side effect, from
// main only.
//
// tend's work is one event loop. With a second P, every signal or exit
// that readies a goroutine also wakes an idle thread to look for work it
// will not find, and the runtime starts threads for it at start-up. Going
// down later costs more than going down now: the change stops the world
// and empties the other P's allocation caches, and once start-up has run
// on that P (half the starts: the main goroutine can begin there) that
// puts one page of span bookkeeping per size class in use for good, up to
// 0.35 MiB of anonymous memory. Here, before any package allocates, the
// other P has nothing cached, and start-up is no slower than on two Ps
// (bench: start-up against the Go floor).
//
// A GOMAXPROCS in the environment is meant for the child, which gets it
// unchanged: tend's one loop runs on one P whatever it says. The package
// imports nothing but runtime, so that it is initialised right after it.
package oneproc

import "runtime"

func init() { runtime.GOMAXPROCS(1) }

package signals

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Direct forwarding. With tend's own handler (handler_amd64.s), a signal
// that tend would only pass on to the main child is sent by the handler
// itself, with kill(2), on the thread the kernel interrupted: one thread
// woken per signal, where the way through [Incoming] and the event loop
// wakes two. The loop says which signals those are ([SetDirect]) and
// where they go ([DirectTo]); everything else, and every signal while
// there is no target, takes the way through [Incoming].
//
// The handler and the Go side share these.
var (
	// directTo[n] is the signal the handler sends when it receives n; 0
	// hands n on to Incoming.
	directTo [Max + 1]uint32
	// directTarget is kill(2)'s pid argument: the main child, minus its
	// process group, or 0 for no one.
	directTarget int32
	// directBusy counts the handlers that have read directTarget and whose
	// kill(2) has not returned yet.
	directBusy int32
	// directCount[n] counts the signals n the handler sent.
	directCount [Max + 1]uint64
)

// SetDirect sets which signals the handler forwards by itself: table[n] is
// the signal it sends when it receives n, 0 for one the event loop must
// see. It forwards them only once [DirectTo] has named a target. SetDirect
// reports false, and changes nothing, where tend's own handler is not
// installed.
func SetDirect(table *[Max + 1]unix.Signal) bool {
	if !installed.Load() {
		return false
	}
	DirectTo(0, false)
	for n, to := range table {
		if to < 0 || to > Max {
			to = 0
		}
		atomic.StoreUint32(&directTo[n], uint32(to))
	}
	return true
}

// DirectTo makes the handler forward the signals [SetDirect] named to pid,
// to the process group pid leads when group is true (to pid alone when that
// group is gone, as [Send] does), or to no one when pid is 0.
//
// When it returns, no handler is still sending to the previous target:
// call DirectTo(0, false) before every wait4 that may return that pid, so
// that the handler never signals a pid the kernel may have given to
// another process.
func DirectTo(pid int, group bool) {
	target := int32(pid)
	if group {
		target = -target
	}
	// Both sides are sequentially consistent (LOCK-prefixed in the
	// handler): a handler either reads the new target, or it counted
	// itself busy before the store and is waited for here.
	atomic.StoreInt32(&directTarget, target)
	for atomic.LoadInt32(&directBusy) != 0 {
		// A handler is between two instructions of a kill(2) on another
		// thread: a few microseconds at most.
	}
}

// Directed returns how many times the handler forwarded sig by itself.
func Directed(sig unix.Signal) uint64 {
	if sig < 0 || sig > Max {
		return 0
	}
	return atomic.LoadUint64(&directCount[sig])
}

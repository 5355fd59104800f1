package signals

import (
	"os"
	"os/signal"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

// Incoming holds the channels on which tend receives signals: Child carries
// SIGCHLD alone, Other every other signal tend forwards.
type Incoming struct {
	// Child has room for one SIGCHLD: SIGCHLD coalesces in the kernel anyway,
	// and one pending value is enough to make the reaper drain every exit.
	Child <-chan os.Signal
	// Other carries every forwardable signal (see [Forwardable]).
	Other <-chan os.Signal
}

// otherBuffer bounds how many signals wait for the event loop; os/signal
// drops what does not fit, as the kernel coalesces standard signals.
const otherBuffer = 1024

// Notify registers tend for every signal it handles and returns the
// channels. Call it first thing in main: until a Go program has called
// Notify for SIGTERM, SIGTERM makes the runtime exit with status 2, and a
// PID 1 would lose signals sent during start-up.
//
// SIGURG and SIGPROF are left to the runtime, and SIGCHLD goes to its own
// channel so a storm of other signals can never delay reaping.
func Notify() Incoming {
	child := make(chan os.Signal, 1)
	other := make(chan os.Signal, otherBuffer)
	signal.Notify(child, unix.SIGCHLD)
	// Registering costs a round trip to the runtime's signal thread per
	// signal (about 10µs each), so the signals whose Go default is to kill
	// tend go first, shortening the start-up window in which they would.
	first := []unix.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT}
	sigs := make([]os.Signal, 0, Max)
	for _, sig := range first {
		sigs = append(sigs, sig)
	}
	for n := 1; n <= Max; n++ {
		if sig := unix.Signal(n); Forwardable(sig) && !slices.Contains(first, sig) {
			sigs = append(sigs, syscall.Signal(n))
		}
	}
	signal.Notify(other, sigs...)
	return Incoming{Child: child, Other: other}
}

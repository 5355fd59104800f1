package signals

import (
	"fmt"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Incoming holds the channels on which tend receives signals: Child carries
// SIGCHLD alone, Other every other signal tend forwards.
type Incoming struct {
	// Child has room for one SIGCHLD: SIGCHLD coalesces in the kernel anyway,
	// and one pending value is enough to make the reaper drain every exit.
	Child <-chan os.Signal
	// Other carries the forwardable signals (see [Forwardable]) that are
	// not queued, or all of them when Queued is nil.
	Other <-chan os.Signal
	// Queued carries the queued signals (see [Queued]), each delivery the
	// kernel queued; nil when tend could not block them (see [Isolate]).
	Queued <-chan os.Signal
}

// otherBuffer bounds how many signals wait for the event loop; os/signal
// drops what does not fit, as the kernel coalesces standard signals.
const otherBuffer = 1024

// Notify registers tend for every signal it handles and returns the
// channels. isolated is what [Isolate] returned: when true, the queued
// signals are read from a signalfd and os/signal never sees them (it would
// unblock them on its thread). Call it first thing in main: until a Go
// program has called Notify for SIGTERM, SIGTERM makes the runtime exit
// with status 2, and a PID 1 would lose signals sent during start-up.
//
// SIGURG and SIGPROF are left to the runtime, and SIGCHLD goes to its own
// channel so a storm of other signals can never delay reaping.
func Notify(isolated bool) Incoming {
	child := make(chan os.Signal, 1)
	other := make(chan os.Signal, otherBuffer)
	// Registering costs a round trip to the runtime's signal thread per
	// signal (about 25µs each here), so the signals whose Go default is to
	// kill tend go first, shortening the start-up window in which they would.
	first := []unix.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT}
	sigs := make([]os.Signal, 0, Max)
	for _, sig := range first {
		sigs = append(sigs, sig)
	}
	for n := 1; n <= Max; n++ {
		if sig := unix.Signal(n); Forwardable(sig) && !slices.Contains(first, sig) && !(isolated && Queued(sig)) {
			sigs = append(sigs, syscall.Signal(n))
		}
	}
	signal.Notify(other, sigs...)
	signal.Notify(child, unix.SIGCHLD) // a SIGCHLD missed until now is made up by one reap at start
	in := Incoming{Child: child, Other: other}
	if isolated {
		queued, err := readQueued(other)
		if err != nil {
			notifyQueued(other) // no signalfd: os/signal after all
			return in
		}
		in.Queued = queued
	}
	return in
}

// notifyQueued hands the queued signals to os/signal, on other: os/signal
// unblocks them on its own thread, so they arrive there, merged per signal
// number like the rest.
func notifyQueued(other chan<- os.Signal) {
	var sigs []os.Signal
	for n := 1; n <= Max; n++ {
		if Queued(unix.Signal(n)) {
			sigs = append(sigs, syscall.Signal(n))
		}
	}
	signal.Notify(other, sigs...)
}

// ResetIgnored gives the default disposition back to the signals that
// tend's parent left ignored and on which the Go runtime installs no
// handler: 32 to 34 (they belong to the C libraries) and, once tend reads
// them from a signalfd, the queued ones it never installs a handler on
// (SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU). An ignored disposition passes
// through execve, and tend's children must start with default ones; tend
// itself never acts on these: it forwards them or leaves them alone.
func ResetIgnored() error {
	for sig := 1; sig <= Max; sig++ {
		if !(sig >= 32 && sig <= 34) && !Queued(unix.Signal(sig)) {
			continue
		}
		// The kernel's struct sigaction begins with the handler on every
		// architecture; zeroed, the whole struct means SIG_DFL, no flags,
		// empty mask.
		var old, dfl [8]uintptr
		if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0); e != 0 {
			return fmt.Errorf("rt_sigaction %d: %w", sig, e)
		}
		if old[0] != sigIgn {
			continue
		}
		if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0); e != 0 {
			return fmt.Errorf("rt_sigaction %d: %w", sig, e)
		}
	}
	return nil
}

// sigIgn is SIG_IGN as the kernel stores it.
const sigIgn = 1

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
	// kernel queued; nil unless tend blocked them (see [Isolate]).
	Queued <-chan os.Signal
	// Ready is closed once every forwardable signal is registered: the
	// real-time ones come a little after the others (see [Notify]). A nil
	// Ready means they all were before Notify returned.
	Ready <-chan struct{}
}

// WaitReady blocks until every forwardable signal is registered.
func (in Incoming) WaitReady() {
	if in.Ready != nil {
		<-in.Ready
	}
}

// otherBuffer bounds how many signals wait for the event loop; os/signal
// drops what does not fit, as the kernel coalesces standard signals.
const otherBuffer = 1024

// first are the signals registered before all others: those whose Go
// default is to end the program (HUP, INT and TERM kill it, QUIT and ABRT
// make it dump its goroutines). TERM comes first: it is the one a PID 1
// gets soonest (docker stop right after docker run).
var first = []unix.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGABRT}

// Notify registers tend for every signal it handles and returns the
// channels. isolated is what [Isolate] returned: when true, the queued
// signals are read from a signalfd and os/signal never sees them (it would
// unblock them on its thread). Call it first thing in main (see [Start]).
//
// Registering a signal with os/signal is a round trip to the runtime's
// signal-mask thread (runtime.sigenable), tens of microseconds and four
// context switches each. So Notify registers the standard signals (1 to
// 31, those that would end tend first) and SIGCHLD before it returns, and
// leaves the 30 real-time ones to a goroutine, one at a time so that
// os/signal's lock is never held long; Ready is closed when they all are.
// Until then the Go runtime ignores a real-time signal (its default for
// them): one sent in the first millisecond or so is lost.
//
// SIGURG and SIGPROF are left to the runtime, and SIGCHLD goes to its own
// channel so a storm of other signals can never delay reaping.
func Notify(isolated bool) Incoming {
	if in, ok := notifyOwn(isolated); ok {
		return in
	}
	ignoreUncatchable()
	child := make(chan os.Signal, 1)
	other := make(chan os.Signal, otherBuffer)
	for _, sig := range first {
		signal.Notify(other, sig)
	}
	in := Incoming{Child: child, Other: other}
	if isolated {
		queued, err := readQueued(other)
		if err == nil {
			in.Queued = queued
		} else {
			isolated = false // no signalfd: os/signal after all
		}
	}
	var later []unix.Signal
	for n := 1; n <= Max; n++ {
		sig := unix.Signal(n)
		switch {
		case !Forwardable(sig) || slices.Contains(first, sig) || (isolated && Queued(sig)):
		case n >= rtMin:
			later = append(later, sig)
		default:
			signal.Notify(other, sig)
		}
	}
	signal.Notify(child, unix.SIGCHLD) // a SIGCHLD missed until now is made up by one reap at start
	ready := make(chan struct{})
	in.Ready = ready
	go func() {
		for _, sig := range later {
			signal.Notify(other, sig)
		}
		close(ready)
	}()
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

// ignoreUncatchable ignores signals 32 and 34. The Go runtime installs no
// handler on them (they are glibc's SIGCANCEL and musl's SIGSYNCCALL), and
// os/signal cannot register them, so their default action, to terminate,
// would apply: `kill -34 tend` would end tend and orphan its child. 33 is
// the runtime's own (per-thread system calls) and already handled.
// Children get the default back (see supervise's fork).
func ignoreUncatchable() {
	_ = setDisposition(32, sigIgn)
	_ = setDisposition(34, sigIgn)
}

// ResetIgnored gives the default disposition back to the queued signals
// that tend's parent left ignored and on which the Go runtime installs no
// handler (SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU), once tend reads them from a
// signalfd: an ignored signal is discarded by the kernel once it is
// unblocked, and tend never acts on these itself: it forwards them.
func ResetIgnored() error {
	for sig := 1; sig <= Max; sig++ {
		if !Queued(unix.Signal(sig)) {
			continue
		}
		old, err := disposition(unix.Signal(sig))
		if err != nil {
			return err
		}
		if old != sigIgn {
			continue
		}
		if err := setDisposition(unix.Signal(sig), sigDfl); err != nil {
			return err
		}
	}
	return nil
}

// sigDfl and sigIgn are SIG_DFL and SIG_IGN as the kernel stores them.
const (
	sigDfl = 0
	sigIgn = 1
)

// disposition returns sig's handler as the kernel has it.
func disposition(sig unix.Signal) (uintptr, error) {
	// The kernel's struct sigaction begins with the handler on every
	// architecture.
	var old [8]uintptr
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0); e != 0 {
		return 0, fmt.Errorf("rt_sigaction %d: %w", sig, e)
	}
	return old[0], nil
}

// setDisposition sets sig's handler to SIG_DFL or SIG_IGN, with no flags
// and an empty mask. Only for signals the Go runtime has no handler on.
func setDisposition(sig unix.Signal, handler uintptr) error {
	act := [8]uintptr{handler}
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0); e != 0 {
		return fmt.Errorf("rt_sigaction %d: %w", sig, e)
	}
	return nil
}

package signals

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Queued reports whether tend reads sig from a signalfd, one delivery at a
// time as the kernel queued them, instead of through os/signal. os/signal
// keeps one pending bit per signal number (runtime.sigsend), so a burst of
// the same real-time signal would reach the child fewer times than it was
// sent. Queued signals are the forwardable ones the Go runtime lets a
// program keep blocked on every thread: not SIGHUP, SIGINT, SIGTERM,
// SIGQUIT, SIGABRT, SIGSYS (the runtime unblocks those it may die or dump
// on), nor the fault signals; and not SIGPIPE, which the runtime raises
// itself when a write to a closed stdout or stderr fails.
func Queued(sig unix.Signal) bool {
	if !Forwardable(sig) {
		return false
	}
	switch sig {
	case unix.SIGUSR1, unix.SIGUSR2, unix.SIGALRM, unix.SIGCONT, unix.SIGTSTP,
		unix.SIGTTIN, unix.SIGTTOU, unix.SIGXCPU, unix.SIGXFSZ, unix.SIGVTALRM,
		unix.SIGWINCH, unix.SIGIO, unix.SIGPWR:
		return true
	}
	return sig > 34
}

// queuedSet is every queued signal as a signal mask.
func queuedSet() unix.Sigset_t {
	var set unix.Sigset_t
	for n := 1; n <= Max; n++ {
		if Queued(unix.Signal(n)) {
			addSig(&set, n)
		}
	}
	return set
}

// addSig adds signal n to set; the kernel's mask is an array of words
// with signal n at bit n-1.
func addSig(set *unix.Sigset_t, n int) {
	bits := int(unsafe.Sizeof(set.Val[0])) * 8
	set.Val[(n-1)/bits] |= 1 << uint((n-1)%bits)
}

// hasSig reports whether set holds signal n.
func hasSig(set *unix.Sigset_t, n int) bool {
	bits := int(unsafe.Sizeof(set.Val[0])) * 8
	return set.Val[(n-1)/bits]&(1<<uint((n-1)%bits)) != 0
}

// covers reports whether mask blocks every signal in set.
func covers(mask, set unix.Sigset_t) bool {
	for i := range set.Val {
		if mask.Val[i]&set.Val[i] != set.Val[i] {
			return false
		}
	}
	return true
}

// queueBuffer bounds how many queued signals wait for the event loop
// outside the kernel. When it is full the reader stops reading and the
// kernel holds the rest, up to RLIMIT_SIGPENDING.
const queueBuffer = 256

// readQueued opens a signalfd for the queued signals and returns a channel
// that carries each delivery, in the order the kernel gives them. Should
// reading the signalfd ever fail, the queued signals go to os/signal, on
// other, from then on.
func readQueued(other chan<- os.Signal) (<-chan os.Signal, error) {
	set := queuedSet()
	fd, err := unix.Signalfd(-1, &set, unix.SFD_NONBLOCK|unix.SFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("signalfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "signalfd") // non-blocking: read through the poller
	out := make(chan os.Signal, queueBuffer)
	go readSignalfd(f, out, other)
	return out, nil
}

// readSignalfd sends each signal read from f to out. If a read fails (not
// expected of a signalfd), it hands the queued signals to os/signal, on
// other, rather than spin or leave them queued in the kernel for ever.
func readSignalfd(f *os.File, out, other chan<- os.Signal) {
	var info [64]unix.SignalfdSiginfo
	buf := unsafe.Slice((*byte)(unsafe.Pointer(&info[0])), int(unsafe.Sizeof(info)))
	size := int(unsafe.Sizeof(info[0]))
	for {
		n, err := f.Read(buf)
		if err != nil {
			notifyQueued(other)
			return
		}
		for i := range n / size {
			out <- syscall.Signal(info[i].Signo)
		}
	}
}

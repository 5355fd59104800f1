package signals

import (
	"math/bits"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The handler (handler_amd64.s) and the reader share these. The handler
// only adds: one count per delivery, one pending bit per signal number,
// and one wake-up write while armed is 0; the reader takes them away.
var (
	counts  [Max + 1]uint32
	pending uint64
	armed   uint32
	wakeFD  int32  = -1 // an eventfd; the handler writes wakeOne to it
	wakeOne uint64 = 1  //nolint:unused // read by handler_amd64.s
	selfPID int32       //nolint:unused // read by handler_amd64.s
	// chain holds, for the fault signals, the Go runtime's handler, which
	// gets the faults the kernel raises (see handler_amd64.s).
	chain [Max + 1]uintptr
)

// faults are the signals the kernel raises on a bad instruction or memory
// access: sent by kill(2) they are forwarded; raised by a fault of tend's
// own they are the Go runtime's, which panics or crashes on them.
var faults = []unix.Signal{unix.SIGILL, unix.SIGTRAP, unix.SIGBUS, unix.SIGFPE, unix.SIGSEGV}

// Flags of struct sigaction, as the kernel has them on every architecture
// tend installs its own handler on.
const (
	saSiginfo  = 0x4
	saOnstack  = 0x08000000
	saRestart  = 0x10000000
	saRestorer = 0x04000000
)

// outlet is where the reader sends what it counted: the channels of the
// latest call to [Notify].
type outlet struct {
	child chan<- os.Signal
	other chan<- os.Signal
}

var (
	current   atomic.Pointer[outlet]
	setupOnce sync.Once
	setupErr  error
	installed atomic.Bool
)

// DropsOwnSIGPIPE reports whether tend's own handler is installed, which
// drops the SIGPIPE that a write of tend's own raises (a closed stderr):
// then no thread of tend needs to keep SIGPIPE blocked for that.
func DropsOwnSIGPIPE() bool { return installed.Load() }

// notifyOwn installs tend's own handler (handler_amd64.s) on every signal
// tend forwards and on SIGCHLD, but for the queued ones when isolated (a
// signalfd reads those), and returns the channels it delivers on. It
// reports false where there is no such handler, or when it cannot be set
// up; [Notify] then uses os/signal.
//
// Installing a handler is one rt_sigaction call, where registering with
// os/signal is a round trip to the runtime's signal thread: all 57 take
// about as long as two of those, so every signal is caught from the
// moment Notify returns. There is no os/signal goroutine, and no thread
// of the runtime's to wake: the handler counts each delivery and writes to
// an eventfd, which a goroutine reads through the poller, on the thread
// that then runs tend's loop. Counting means that every delivery reaches
// the channel, each copy of a real-time burst included.
func notifyOwn(isolated bool) (Incoming, bool) {
	if !ownHandler {
		return Incoming{}, false
	}
	child := make(chan os.Signal, 1)
	other := make(chan os.Signal, otherBuffer)
	current.Store(&outlet{child: child, other: other}) // before a signal can come
	setupOnce.Do(func() {
		setupErr = setupOwn(isolated)
		installed.Store(setupErr == nil)
	})
	if setupErr != nil {
		return Incoming{}, false
	}
	in := Incoming{Child: child, Other: other}
	if isolated {
		if queued, err := readQueued(other); err == nil {
			in.Queued = queued
		} else {
			notifyQueued(other) // no signalfd: os/signal unblocks them on its thread
		}
	}
	return in, true
}

// setupOwn creates the eventfd, starts the reader and installs the
// handler.
func setupOwn(isolated bool) error {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return err
	}
	// The Go runtime raises SIGPIPE itself, and dies of it, when a write
	// to stdout or stderr fails with EPIPE, unless the signal is ignored
	// through os/signal: this sets its flag, and the handler then replaces
	// the SIG_IGN it set.
	signal.Ignore(unix.SIGPIPE)
	ignoreUncatchable()
	selfPID = int32(unix.Getpid())
	atomic.StoreInt32(&wakeFD, int32(fd))
	go readOwn(os.NewFile(uintptr(fd), "eventfd"))
	act := ownAction()
	var set unix.Sigset_t
	// rt_sigaction fails only on a bad signal number or address: from here
	// on there is no failure to fall back on os/signal for. In number
	// order, the signals that would end tend (HUP, INT, QUIT, ABRT, TERM:
	// all below 16) come first; all 57 take a few tens of microseconds.
	for n := 1; n <= Max; n++ {
		sig := unix.Signal(n)
		switch {
		case isolated && Queued(sig):
		case Forwardable(sig), sig == unix.SIGCHLD:
			install(sig, &act)
			addSig(&set, n)
		}
	}
	// Signals tend's parent left blocked stay blocked on every thread the
	// runtime starts (it gives each the mask tend was executed with). One
	// thread that takes them is enough: the kernel hands a signal sent to
	// the process to any thread that does not block it, and one pending
	// since before tend started arrives now. The thread is one of the
	// runtime's, which lasts as long as tend (os/signal does the same on
	// a thread of its own).
	var before unix.Sigset_t
	_ = unix.PthreadSigmask(unix.SIG_UNBLOCK, &set, &before)
	steerOff(&set, &before)
	return nil
}

// steerOff blocks on the main thread the signals of set that the handler
// may forward by itself (see direct.go), unless this is not the main
// thread or they were blocked before (then no other thread takes them).
//
// The kernel hands a signal sent to the process to its main thread first,
// whenever that thread does not block it, and tend's main thread is the
// one that usually waits in epoll_wait for the Go runtime. A signal there
// ends that wait, and the runtime then looks for work through the whole
// scheduler before it waits again: microseconds on the way of every
// forwarded signal. Blocked there, the signal goes to a thread asleep in
// a futex, which the kernel puts back to sleep after the handler with no
// Go code run. Staying with the main thread: SIGTERM and SIGINT (the
// event loop's, like SIGCHLD: the reader wakes on that thread anyway),
// SIGPIPE (raised on the thread that wrote) and the faults.
func steerOff(set, before *unix.Sigset_t) {
	if unix.Gettid() != unix.Getpid() {
		return
	}
	var off unix.Sigset_t
	for n := 1; n <= Max; n++ {
		switch sig := unix.Signal(n); {
		case !hasSig(set, n), hasSig(before, n):
		case sig == unix.SIGTERM, sig == unix.SIGINT, sig == unix.SIGCHLD, sig == unix.SIGPIPE, slices.Contains(faults, sig):
		default:
			addSig(&off, n)
		}
	}
	_ = unix.PthreadSigmask(unix.SIG_BLOCK, &off, nil)
}

// install puts act on sig, after keeping the Go runtime's handler of a
// fault signal in chain.
func install(sig unix.Signal, act *kernelSigaction) {
	if slices.Contains(faults, sig) {
		var old kernelSigaction
		if sigaction(sig, nil, &old) != nil {
			return // leave it to the runtime
		}
		atomic.StoreUintptr(&chain[sig], old.handler)
	}
	_ = sigaction(sig, act, nil)
}

// sigaction is rt_sigaction(2).
func sigaction(sig unix.Signal, act, old *kernelSigaction) error {
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// readOwn waits on the eventfd and hands each counted delivery on: a
// SIGCHLD to the child channel (at most one waits there: the loop reaps
// every exit on it), every other signal to the other channel, once per
// delivery. A full channel makes it wait; meanwhile the handler goes on
// counting, so nothing is lost.
func readOwn(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return // not expected of an eventfd
	}
	var buf [8]byte
	// The read is a raw system call (the eventfd is non-blocking, so it
	// never blocks): through os.File.Read, the Go runtime's bookkeeping
	// for a call that may block (entersyscall) would wake its monitor
	// thread on every signal.
	read := func(fd uintptr) bool {
		_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		return e != unix.EAGAIN // false: wait in the poller, then call again
	}
	for {
		if rc.Read(read) != nil {
			return // not expected of an eventfd
		}
		atomic.StoreUint32(&armed, 0)
		set := atomic.SwapUint64(&pending, 0)
		out := current.Load()
		const chld = 1 << (unix.SIGCHLD - 1)
		if set&chld != 0 && atomic.SwapUint32(&counts[unix.SIGCHLD], 0) > 0 {
			select {
			case out.child <- unix.SIGCHLD:
			default:
			}
		}
		set &^= chld
		for set != 0 {
			n := bits.TrailingZeros64(set) + 1
			set &= set - 1
			for c := atomic.SwapUint32(&counts[n], 0); c > 0; c-- {
				out.other <- syscall.Signal(n)
			}
		}
	}
}

package spawn

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"github.com/tend-init/tend/reaper"
	"golang.org/x/sys/unix"
)

// forkSpec says what a child does between fork and exec. tend forks its
// children itself rather than through syscall.ForkExec for one reason: a
// child must start with an empty signal mask, and every thread of tend
// keeps the signals it reads from a signalfd blocked (see
// signals.Isolate). syscall.ForkExec gives the child the forking thread's
// mask, and unblocking it there first would let a signal arrive on that
// thread, where the runtime drops it. Only the child can clear its own mask.
type forkSpec struct {
	path string
	argv []string
	env  []string
	dir  string              // "" keeps tend's
	cred *syscall.Credential // nil keeps tend's
	// setsid starts a new session (no controlling terminal); setpgid a new
	// process group led by the child.
	setsid, setpgid bool
	// foreground, with setpgid, makes the child's group the foreground
	// group of the terminal on descriptor 0.
	foreground bool
	// stdio >= 0 is duplicated onto descriptors 0, 1 and 2; -1 leaves them
	// as tend has them.
	stdio int
	// closeExtra keeps every descriptor but 0, 1 and 2 from the program,
	// those tend's parent passed included.
	closeExtra bool
	// listenPid adds LISTEN_PID=<the child's pid> to env (replacing any
	// LISTEN_PID there), for socket activation: only the child knows its
	// pid before execve.
	listenPid bool
	// watchdogPid adds WATCHDOG_PID=<the child's pid> the same way, for
	// --watchdog: sd_watchdog_enabled(3) then tells the main process from
	// the processes it forks, which inherit WATCHDOG_USEC.
	watchdogPid bool
}

// childStep names what the child was doing when it failed.
type childStep uint32

const (
	stepSignals childStep = iota + 1
	stepSetsid
	stepSetpgid
	stepTerminal
	stepGroups
	stepGid
	stepUid
	stepChdir
	stepStdio
	stepFileLimit
	stepExec
)

var stepNames = [...]string{
	stepSignals:   "reset signal handlers",
	stepSetsid:    "setsid",
	stepSetpgid:   "setpgid",
	stepTerminal:  "hand over the terminal",
	stepGroups:    "setgroups",
	stepGid:       "setgid",
	stepUid:       "setuid",
	stepChdir:     "chdir",
	stepStdio:     "dup stdio",
	stepFileLimit: "setrlimit RLIMIT_NOFILE",
	stepExec:      "execve",
}

// childError is a failure in the child between fork and exec. It unwraps
// to the errno, so errors.Is(err, unix.ENOENT) holds for a missing program.
// Only a failing execve is the command's fault (126, 127); any earlier step
// is tend's own set-up failing (125): see startErrorCode.
type childError struct {
	step  childStep
	errno syscall.Errno
	what  string // the step with its value, e.g. `chdir "/app"`; "" for the bare step name
}

func (e *childError) Error() string {
	if e.step == stepExec {
		return e.errno.Error() // what a shell says: "no such file or directory"
	}
	what := e.what
	if what == "" {
		what = stepNames[e.step]
	}
	return what + ": " + e.errno.Error()
}

// describe names step with the value s gave it, for the error line.
func (s *forkSpec) describe(step childStep) string {
	switch step {
	case stepTerminal:
		return "hand over the terminal on stdin"
	case stepGroups:
		if s.cred != nil {
			return fmt.Sprintf("setgroups %v", s.cred.Groups)
		}
	case stepGid:
		if s.cred != nil {
			return fmt.Sprintf("setgid %d", s.cred.Gid)
		}
	case stepUid:
		if s.cred != nil {
			return fmt.Sprintf("setuid %d", s.cred.Uid)
		}
	case stepChdir:
		return fmt.Sprintf("chdir %q", s.dir)
	case stepStdio:
		return fmt.Sprintf("dup fd %d onto stdio", s.stdio)
	case stepFileLimit:
		if l := childFileLimit; l != nil {
			return fmt.Sprintf("setrlimit RLIMIT_NOFILE %d:%d", l.Cur, l.Max)
		}
	case stepSignals, stepSetsid, stepSetpgid, stepExec:
	}
	return ""
}

func (e *childError) Unwrap() error { return e.errno }

// childPlan is forkSpec as raw pointers and numbers: all the child may
// touch. It is built before the fork and only read after it.
type childPlan struct {
	path, dir  *byte
	argv, envp **byte
	groups     *uint32
	ngroups    uintptr
	uid, gid   uintptr
	cred       bool
	setsid     bool
	setpgid    bool
	foreground bool
	stdio      int
	closeExtra bool
	nofile     *unix.Rlimit // RLIMIT_NOFILE to set, or nil
	pipe       int          // write end of the error pipe, close-on-exec
	// pidVars are environment entries such as "LISTEN_PID=", each with
	// room after it for the child to write its pid, NUL-terminated.
	pidVars [][]byte
	// all and saved are the forking thread's signal masks: every signal,
	// set around the fork, and the one it had (see forkAndExec).
	all, saved unix.Sigset_t
}

// pidRoom is the room after a pidVars key: 20 digits and the NUL.
const pidRoom = 21

// forkExec starts the program described by s and returns its pid once it
// has called execve. Failures in the child come back as *childError, with
// the pid of the child that failed, already collected (reaper.Collect); a
// child that runs is reaped by the loop like any other.
func forkExec(s *forkSpec) (int, error) {
	var p childPlan
	var err error
	if p.path, err = syscall.BytePtrFromString(s.path); err != nil {
		return 0, err
	}
	argv, err := syscall.SlicePtrFromStrings(s.argv)
	if err != nil {
		return 0, err
	}
	env := s.env
	var pidKeys []string
	if s.listenPid {
		pidKeys = append(pidKeys, "LISTEN_PID")
	}
	if s.watchdogPid {
		pidKeys = append(pidKeys, "WATCHDOG_PID")
	}
	for _, k := range pidKeys {
		env = unsetEnv(env, k)
	}
	envp, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return 0, err
	}
	for _, k := range pidKeys {
		// One more entry before the final nil, written by the child.
		b := make([]byte, len(k)+1+pidRoom)
		copy(b, k+"=")
		p.pidVars = append(p.pidVars, b[:len(k)+1])
		envp = append(envp[:len(envp)-1], &b[0], nil)
	}
	p.argv, p.envp = &argv[0], &envp[0]
	if s.dir != "" {
		if p.dir, err = syscall.BytePtrFromString(s.dir); err != nil {
			return 0, err
		}
	}
	if c := s.cred; c != nil {
		p.cred, p.uid, p.gid = true, uintptr(c.Uid), uintptr(c.Gid)
		if len(c.Groups) > 0 {
			p.groups, p.ngroups = &c.Groups[0], uintptr(len(c.Groups))
		}
	}
	p.setsid, p.setpgid, p.foreground, p.stdio = s.setsid, s.setpgid, s.foreground && s.setpgid, s.stdio
	p.nofile = childFileLimit
	p.closeExtra = s.closeExtra

	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return 0, fmt.Errorf("error pipe: %w", err)
	}
	p.pipe = fds[1]

	// ForkLock keeps other goroutines from making descriptors that the
	// child could inherit by accident (all of Go's are close-on-exec
	// anyway). Every signal is blocked on the forking thread so that the
	// child starts with all blocked and runs no handler before exec.
	syscall.ForkLock.Lock()
	for i := range p.all.Val {
		p.all.Val[i] = ^p.all.Val[i]
	}
	pid, errno := forkAndExec(&p)
	syscall.ForkLock.Unlock()
	_ = unix.Close(fds[1])
	runtime.KeepAlive(s)
	runtime.KeepAlive(argv)
	runtime.KeepAlive(envp)
	if errno != 0 {
		_ = unix.Close(fds[0])
		return 0, fmt.Errorf("fork: %w", errno)
	}

	// The pipe closes on a successful execve; otherwise the child writes
	// which step failed and the errno.
	var report [8]byte
	n, err := readFull(fds[0], report[:])
	_ = unix.Close(fds[0])
	if err != nil {
		return 0, fmt.Errorf("read the child's error pipe: %w", err)
	}
	if n == 0 {
		return int(pid), nil
	}
	r := (*[2]uint32)(unsafe.Pointer(&report))
	// The child exits right after its report; collect it now, so that no
	// zombie is left if tend exits on this failure.
	_, _ = reaper.Collect(int(pid))
	step := childStep(r[0])
	return int(pid), &childError{step: step, errno: syscall.Errno(r[1]), what: s.describe(step)}
}

// readFull reads until buf is full or the writer closes the pipe.
func readFull(fd int, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}

// forkAndExec forks. In the parent it returns the child's pid; the child
// runs childExec and never returns. It must not grow the stack, allocate,
// or be instrumented: in the child, only this thread exists and the Go
// runtime is not usable.
//
//go:nosplit
//go:norace
//go:nocheckptr
func forkAndExec(p *childPlan) (uintptr, syscall.Errno) {
	// Every signal is blocked on this thread from here until the parent
	// returns. The goroutine needs no lock to its thread for that: with
	// every signal blocked nothing can preempt it (the runtime preempts
	// with SIGURG), and this code has no other point where it could move.
	syscall.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&p.all)), uintptr(unsafe.Pointer(&p.saved)), kernelSigsetSize, 0, 0)
	pid, errno := forkChild(p)
	syscall.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&p.saved)), 0, kernelSigsetSize, 0, 0)
	return pid, errno
}

// kernelSigsetSize is the size of the kernel's sigset_t, which
// rt_sigprocmask insists on: 64 signals (unix.Sigset_t is glibc's, larger).
const kernelSigsetSize = 8

// forkChild is forkAndExec's fork, with every signal blocked.
//
//go:nosplit
//go:norace
//go:nocheckptr
func forkChild(p *childPlan) (uintptr, syscall.Errno) {
	if vforkFlags != 0 {
		// The call must be made here, not in a helper: the child returns
		// into this frame and calls childExec, whose frame overwrites
		// whatever lay below it, a helper's return address included.
		pid, errno := rawVfork(uintptr(syscall.SIGCHLD) | vforkFlags)
		if errno != 0 || pid != 0 {
			return pid, syscall.Errno(errno)
		}
		childExec(p)
		return 0, 0 // not reached
	}
	// A plain fork: the child gets a copy of tend's memory, so it can
	// return from the system call on its own copy of this stack (sharing
	// it, as vfork does, takes assembly, which tend has for amd64 only).
	// The parent learns of a failure from the error pipe, not from memory
	// shared with the child, on both paths: qemu-user runs CLONE_VFORK as a
	// plain fork and does not wait. clone's first two arguments are swapped
	// on s390x.
	a1, a2 := uintptr(syscall.SIGCHLD), uintptr(0)
	if runtime.GOARCH == "s390x" {
		a1, a2 = 0, uintptr(syscall.SIGCHLD)
	}
	pid, _, errno := syscall.RawSyscall6(unix.SYS_CLONE, a1, a2, 0, 0, 0, 0)
	if errno != 0 || pid != 0 {
		return pid, errno
	}
	childExec(p)
	return 0, 0 // not reached
}

// childExec is the child between fork and exec: system calls only.
//
//go:nosplit
//go:norace
//go:nocheckptr
func childExec(p *childPlan) {
	// Every signal goes back to its default action, so that none runs
	// tend's handler before the exec, and none that tend (or its parent)
	// ignores stays ignored in the child (tend ignores 32 and 34: see
	// signals.Notify). The kernel's struct sigaction begins with the
	// handler on every architecture tend is built for, and zeroed means
	// SIG_DFL.
	for sig := uintptr(1); sig <= 64; sig++ {
		if sig == uintptr(syscall.SIGKILL) || sig == uintptr(syscall.SIGSTOP) {
			continue
		}
		var old, dfl [8]uintptr
		if _, _, e := syscall.RawSyscall6(unix.SYS_RT_SIGACTION, sig, 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0); e != 0 {
			continue // 32 and 33 on some kernels; nothing to reset
		}
		if old[0] != 0 { // not SIG_DFL already
			if _, _, e := syscall.RawSyscall6(unix.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0); e != 0 {
				childFail(p, stepSignals, e)
			}
		}
	}
	if p.setsid {
		if _, _, e := syscall.RawSyscall(unix.SYS_SETSID, 0, 0, 0); e != 0 {
			childFail(p, stepSetsid, e)
		}
	}
	if p.setpgid {
		if _, _, e := syscall.RawSyscall(unix.SYS_SETPGID, 0, 0, 0); e != 0 {
			childFail(p, stepSetpgid, e)
		}
	}
	if p.foreground {
		// Every signal is still blocked, so a background group may take
		// the terminal without SIGTTOU stopping it.
		pid, _, _ := syscall.RawSyscall(unix.SYS_GETPID, 0, 0, 0)
		pgrp := int32(pid)
		if _, _, e := syscall.RawSyscall(unix.SYS_IOCTL, 0, uintptr(unix.TIOCSPGRP), uintptr(unsafe.Pointer(&pgrp))); e != 0 {
			childFail(p, stepTerminal, e)
		}
	}
	if p.cred {
		if _, _, e := syscall.RawSyscall(sysSetgroups, p.ngroups, uintptr(unsafe.Pointer(p.groups)), 0); e != 0 {
			childFail(p, stepGroups, e)
		}
		if _, _, e := syscall.RawSyscall(sysSetgid, p.gid, 0, 0); e != 0 {
			childFail(p, stepGid, e)
		}
		if _, _, e := syscall.RawSyscall(sysSetuid, p.uid, 0, 0); e != 0 {
			childFail(p, stepUid, e)
		}
	}
	if p.dir != nil {
		if _, _, e := syscall.RawSyscall(unix.SYS_CHDIR, uintptr(unsafe.Pointer(p.dir)), 0, 0); e != 0 {
			childFail(p, stepChdir, e)
		}
	}
	if p.stdio >= 0 {
		for fd := uintptr(0); fd < 3; fd++ {
			var e syscall.Errno
			if uintptr(p.stdio) == fd {
				_, _, e = syscall.RawSyscall(unix.SYS_FCNTL, fd, unix.F_SETFD, 0)
			} else {
				_, _, e = syscall.RawSyscall(unix.SYS_DUP3, uintptr(p.stdio), fd, 0)
			}
			if e != 0 {
				childFail(p, stepStdio, e)
			}
		}
	}
	if p.closeExtra {
		// Close-on-exec, not closed: the error pipe must stay open until
		// execve. close_range's CLOEXEC flag needs Linux 5.11; before it,
		// the descriptors below 1024 are marked one by one.
		if _, _, e := syscall.RawSyscall(unix.SYS_CLOSE_RANGE, 3, uintptr(^uint32(0)), unix.CLOSE_RANGE_CLOEXEC); e != 0 {
			for fd := uintptr(3); fd < 1024; fd++ {
				syscall.RawSyscall(unix.SYS_FCNTL, fd, unix.F_SETFD, unix.FD_CLOEXEC)
			}
		}
	}
	if p.nofile != nil {
		if _, _, e := syscall.RawSyscall6(unix.SYS_PRLIMIT64, 0, unix.RLIMIT_NOFILE, uintptr(unsafe.Pointer(p.nofile)), 0, 0, 0); e != 0 {
			childFail(p, stepFileLimit, e)
		}
	}
	if len(p.pidVars) > 0 {
		pid, _, _ := syscall.RawSyscall(unix.SYS_GETPID, 0, 0, 0)
		var digits [20]byte
		i := len(digits)
		for {
			i--
			digits[i] = byte('0' + pid%10)
			pid /= 10
			if pid == 0 {
				break
			}
		}
		for _, v := range p.pidVars {
			// v has the key's length and the pid's room as capacity:
			// writing through the full slice expression allocates nothing.
			w := v[:cap(v)]
			n := len(v)
			for j := i; j < len(digits); j++ {
				w[n] = digits[j]
				n++
			}
			w[n] = 0
		}
	}
	// The program starts with no signal blocked, whatever tend blocks.
	var none [2]uint32
	syscall.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&none)), 0, 8, 0, 0)
	_, _, e := syscall.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(p.path)), uintptr(unsafe.Pointer(p.argv)), uintptr(unsafe.Pointer(p.envp)))
	childFail(p, stepExec, e)
}

// childFail reports step and errno on the error pipe and ends the child.
//
//go:nosplit
//go:norace
//go:nocheckptr
func childFail(p *childPlan, step childStep, errno syscall.Errno) {
	report := [2]uint32{uint32(step), uint32(errno)}
	syscall.RawSyscall(unix.SYS_WRITE, uintptr(p.pipe), uintptr(unsafe.Pointer(&report)), 8)
	for {
		syscall.RawSyscall(unix.SYS_EXIT_GROUP, 127, 0, 0)
	}
}

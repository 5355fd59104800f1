package reaper

import (
	"errors"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Reap collects every child that has exited, without blocking, and appends
// them to dst. It loops on wait4(-1, WNOHANG) until no exited child is left,
// because SIGCHLD coalesces: one signal may stand for many exits. EINTR is
// retried.
//
// When the caller has no children at all, Reap returns what it collected
// and an error for which errors.Is(err, unix.ECHILD) holds: for an init,
// that means every descendant is gone.
func Reap(dst []Exit) ([]Exit, error) {
	for {
		var ws unix.WaitStatus
		pid, err := wait4NoHang(&ws)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return dst, os.NewSyscallError("wait4", err)
		case pid <= 0:
			return dst, nil
		}
		dst = append(dst, Exit{Pid: pid, Status: ws})
	}
}

// wait4NoHang is wait4(-1, ws, WNOHANG) as a raw system call: with WNOHANG
// it never blocks, and the Go runtime's bookkeeping for a call that may
// block (entersyscall) would wake its monitor thread on every reap.
func wait4NoHang(ws *unix.WaitStatus) (int, error) {
	pid, _, e := unix.RawSyscall6(unix.SYS_WAIT4, ^uintptr(0), uintptr(unsafe.Pointer(ws)), unix.WNOHANG, 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(pid), nil
}

// Collect waits for the child pid and returns its exit. It blocks, so it is
// only for a child known to be exiting on its own: one whose exec failed,
// which reports the failure and exits at once. Collecting it there, rather
// than at the next [Reap], leaves no zombie behind when tend itself exits
// on that failure.
func Collect(pid int) (Exit, error) {
	for {
		var ws unix.WaitStatus
		_, err := unix.Wait4(pid, &ws, 0, nil)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return Exit{Pid: pid}, os.NewSyscallError("wait4", err)
		}
		return Exit{Pid: pid, Status: ws}, nil
	}
}

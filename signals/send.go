package signals

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Send delivers sig to pid, or to the process group pid leads when group is
// true. A target that no longer exists (ESRCH) is not an error: the caller
// asked for something that has already happened.
//
// Callers must only pass a pid that has not been reaped yet: once wait4 has
// returned a pid, the kernel may give it to a new process.
func Send(pid int, sig unix.Signal, group bool) error {
	if pid <= 0 {
		return fmt.Errorf("kill %d: invalid pid", pid)
	}
	target := pid
	if group {
		target = -pid
	}
	err := kill(target, sig)
	if group && errors.Is(err, unix.ESRCH) {
		// The leader left its group (it called setsid or setpgid), so
		// the group may be empty while the process lives: signal it alone.
		target = pid
		err = kill(pid, sig)
	}
	if err == nil || errors.Is(err, unix.ESRCH) {
		return nil
	}
	return fmt.Errorf("kill %d %s: %w", target, Name(sig), err)
}

// SendAll delivers sig to every process the caller may signal but itself
// (kill(-1, sig)). Only a PID 1 may use it: there, "every process" is
// exactly its PID namespace.
func SendAll(sig unix.Signal) error {
	err := kill(-1, sig)
	if err == nil || errors.Is(err, unix.ESRCH) {
		return nil
	}
	return fmt.Errorf("kill -1 %s: %w", Name(sig), err)
}

// kill is kill(2) as a raw system call: it never blocks, and the Go
// runtime's bookkeeping for a call that may block (entersyscall) would
// wake its monitor thread on every forwarded signal.
func kill(pid int, sig unix.Signal) error {
	if _, _, e := unix.RawSyscall(unix.SYS_KILL, uintptr(pid), uintptr(sig), 0); e != 0 {
		return e
	}
	return nil
}

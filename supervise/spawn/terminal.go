package spawn

import (
	"errors"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// terminalForeground returns the foreground process group of the terminal
// on stdin ([unix.TIOCGPGRP], tcgetpgrp). It fails with ENOTTY when that
// terminal is not tend's controlling one.
func terminalForeground() (int, error) {
	return unix.IoctlGetInt(0, unix.TIOCGPGRP)
}

// setTerminalForeground makes pgrp the foreground process group of the
// terminal on stdin (tcsetpgrp). The caller is in a background group then,
// and the kernel answers a background group that changes the foreground
// with SIGTTOU, unless the calling thread blocks or ignores it; tend catches
// every signal, so the ioctl would be restarted after each SIGTTOU for ever.
// Like a shell taking the terminal back from a job, the call is made with
// SIGTTOU blocked on its thread (the kernel looks at that thread's mask).
func setTerminalForeground(pgrp int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var set, old unix.Sigset_t
	bits := uint(unsafe.Sizeof(set.Val[0])) * 8
	n := uint(unix.SIGTTOU) - 1
	set.Val[n/bits] |= 1 << (n % bits)
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old); err != nil {
		return err
	}
	defer func() { _ = unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil) }()
	for {
		err := unix.IoctlSetPointerInt(0, unix.TIOCSPGRP, pgrp)
		if err != unix.EINTR {
			return err
		}
	}
}

// mayHandTerminal reports whether the child may be given the terminal on
// stdin: only when tend's own group has it (tini hands it over whatever;
// tend started as a shell's background job, `tend -- vi &`, must not take
// it from the shell, issue 12). An error means that the terminal is not
// tend's controlling one.
func mayHandTerminal() (bool, error) {
	fg, err := terminalForeground()
	if err != nil {
		return false, err
	}
	return fg == unix.Getpgrp(), nil
}

// TakeTerminalBack gives the terminal back to tend's group once the child
// it was handed to is gone: when the foreground group is still the one
// tend handed it to, or one with no process left (a job of a shell that
// tend ran). The next child, or the shell tend was started from, then finds
// it with tend, not with a dead group. A live group of someone else keeps
// it; the caller asks again when no child is left. It reports whether tend
// took the terminal.
func (c *Command) TakeTerminalBack() (bool, error) {
	if c.handedTo == 0 {
		return false, nil
	}
	fg, err := terminalForeground()
	if err != nil {
		c.handedTo = 0
		return false, err
	}
	own := unix.Getpgrp()
	if fg == own {
		c.handedTo = 0
		return false, nil
	}
	if fg != c.handedTo && !errors.Is(unix.Kill(-fg, 0), unix.ESRCH) {
		return false, nil
	}
	c.handedTo = 0
	return true, setTerminalForeground(own)
}

package reaper

import "golang.org/x/sys/unix"

// Exit is one process collected by [Reap].
type Exit struct {
	Pid    int
	Status unix.WaitStatus
}

// Code returns the status a shell would report for the exit: the exit code
// when the process exited, 128+N when signal N killed it.
func (e Exit) Code() int {
	return Code(e.Status)
}

// Code maps a wait status to a shell-style exit status: the exit code
// (0..255) for a normal exit, 128+N for death by signal N.
// (unix.WaitStatus.ExitStatus returns -1 for a signal death, which os.Exit
// would turn into 255.)
func Code(ws unix.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return 255
}

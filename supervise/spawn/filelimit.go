package spawn

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// childFileLimit is the RLIMIT_NOFILE tend was started with, when the Go
// runtime raised its soft limit at start-up; each child gets it back, as
// syscall.ForkExec would do. Nil when nothing was raised.
var childFileLimit *unix.Rlimit

// SaveFileLimit finds the RLIMIT_NOFILE tend was started with. Go raises
// the soft limit before main and keeps the original to itself; only
// syscall.Exec puts it back, just before execve, and an execve that fails
// at once leaves it there. tend then raises its own limit again, and
// forkExec gives children the original. Call it once, early in main.
func SaveFileLimit() {
	var raised, orig unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &raised) != nil {
		return
	}
	_ = syscall.Exec("", nil, nil) // ENOENT, after restoring the limit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &orig) != nil || orig == raised {
		return
	}
	if unix.Setrlimit(unix.RLIMIT_NOFILE, &raised) == nil {
		childFileLimit = &orig
	}
}

//go:build linux && !(386 || arm)

package spawn

import "golang.org/x/sys/unix"

// The credential system calls that take 32-bit ids.
const (
	sysSetgroups = unix.SYS_SETGROUPS
	sysSetgid    = unix.SYS_SETGID
	sysSetuid    = unix.SYS_SETUID
)

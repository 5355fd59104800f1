//go:build linux && (386 || arm)

package spawn

import "golang.org/x/sys/unix"

// The credential system calls that take 32-bit ids: on 386 and arm the
// plain ones take 16-bit ids.
const (
	sysSetgroups = unix.SYS_SETGROUPS32
	sysSetgid    = unix.SYS_SETGID32
	sysSetuid    = unix.SYS_SETUID32
)

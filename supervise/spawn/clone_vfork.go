//go:build linux && amd64

package spawn

import "golang.org/x/sys/unix"

// vforkFlags are the clone flags of a child start on this architecture:
// the child borrows tend's memory and tend's forking thread waits in the
// kernel until the child has called execve or exited. No page table is
// copied, and no copy is torn down at execve, which is most of what a plain
// fork of a Go process costs (about 0.5 ms of start-up here). The child
// must then touch nothing the parent reads later: it writes only its own
// stack below forkAndExec's frame and, for LISTEN_PID, a buffer of its own.
const vforkFlags = unix.CLONE_VM | unix.CLONE_VFORK

// rawVfork is clone(2) with flags|SIGCHLD and no new stack, in assembly
// (vfork_amd64.s): see vforkFlags.
func rawVfork(flags uintptr) (pid uintptr, errno uintptr)

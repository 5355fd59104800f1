package main

import (
	"runtime"
	"syscall"
	"unsafe"
)

// These live in globals so that the forked children touch no Go stack or
// heap that could move, and allocate nothing.
var (
	cgPath []byte // NUL-terminated cgroup.procs path, or nil
	zero   = []byte("0")
	sink   [1]byte
)

// spawn forks the intermediate process of an orphan storm and returns its
// pid. Go cannot fork without exec, so the children run only raw system
// calls, like syscall.forkAndExecInChild: with every signal blocked on the
// forking thread (inherited by the children) no Go signal handler can run in
// them, and forkIntermediate is nosplit, so no stack growth either.
func spawn(n, rfd, wfd int) (int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	all := ^uint64(0)
	var old uint64
	if _, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, 2 /* SIG_SETMASK */, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&old)), 8, 0, 0); e != 0 {
		return 0, e
	}
	var cg uintptr
	if cgPath != nil {
		cg = uintptr(unsafe.Pointer(&cgPath[0]))
	}
	pid, e := forkIntermediate(n, rfd, wfd, cg, uintptr(unsafe.Pointer(&zero[0])), uintptr(unsafe.Pointer(&sink[0])))
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, 2, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(pid), nil
}

// forkIntermediate forks; the child joins the cgroup (if any), forks n
// orphans that each wait for end of file on rfd and exit 0, and exits 0.
//
//go:nosplit
//go:norace
func forkIntermediate(n, rfd, wfd int, cg, zero, sink uintptr) (uintptr, syscall.Errno) {
	pid, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if e != 0 || pid != 0 {
		return pid, e
	}
	if cg != 0 {
		fd, _, e := syscall.RawSyscall6(syscall.SYS_OPENAT, uintptr(^uint(99)) /* AT_FDCWD = -100 */, cg, syscall.O_WRONLY, 0, 0, 0)
		if e != 0 {
			syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 2, 0, 0)
		}
		if _, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, zero, 1); e != 0 {
			syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 3, 0, 0)
		}
		syscall.RawSyscall(syscall.SYS_CLOSE, fd, 0, 0)
	}
	for i := 0; i < n; i++ {
		p, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
		if e != 0 {
			syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 4, 0, 0)
		}
		if p == 0 {
			syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(wfd), 0, 0)
			for {
				if _, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(rfd), sink, 1); e != syscall.EINTR {
					break
				}
			}
			syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
		}
	}
	syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
	return 0, 0
}

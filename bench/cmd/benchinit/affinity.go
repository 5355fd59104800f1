package main

import (
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// cpuSet is a sched_setaffinity(2) mask of up to 1024 CPUs.
type cpuSet [16]uint64

// threadAffinity is the CPU mask of the calling thread.
func threadAffinity() (cpuSet, error) {
	var set cpuSet
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(set), uintptr(unsafe.Pointer(&set)))
	if e != 0 {
		return set, os.NewSyscallError("sched_getaffinity", e)
	}
	return set, nil
}

// setThreadAffinity sets the CPU mask of the calling thread; the caller holds
// runtime.LockOSThread. A process it forks inherits the mask.
func setThreadAffinity(set cpuSet) error {
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(set), uintptr(unsafe.Pointer(&set)))
	if e != 0 {
		return os.NewSyscallError("sched_setaffinity", e)
	}
	return nil
}

// only is the mask of the one CPU cpu.
func only(cpu int) cpuSet {
	var set cpuSet
	set[cpu/64] = 1 << (cpu % 64)
	return set
}

// last is the highest CPU in the mask, or -1.
func (s cpuSet) last() int {
	for i := len(s)*64 - 1; i >= 0; i-- {
		if s[i/64]&(1<<(i%64)) != 0 {
			return i
		}
	}
	return -1
}

// readByteBlocking reads one byte of f on the calling thread, blocking in
// select(2) for at most d instead of parking the goroutine in the runtime's
// poller: on a thread pinned to one CPU, the writer's wake-up then reaches
// this thread directly, with no poller thread on another CPU in between.
func readByteBlocking(f *os.File, d time.Duration) (byte, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var buf [1]byte
	var rerr error
	deadline := time.Now().Add(d)
	cerr := rc.Control(func(fd uintptr) {
		for {
			left := time.Until(deadline)
			if left <= 0 {
				rerr = os.ErrDeadlineExceeded
				return
			}
			var set syscall.FdSet
			set.Bits[fd/64] |= 1 << (fd % 64)
			tv := syscall.NsecToTimeval(left.Nanoseconds())
			if _, err := syscall.Select(int(fd)+1, &set, nil, nil, &tv); err != nil {
				if err == syscall.EINTR {
					continue
				}
				rerr = os.NewSyscallError("select", err)
				return
			}
			n, err := syscall.Read(int(fd), buf[:])
			switch {
			case err == syscall.EAGAIN || err == syscall.EINTR:
				continue // select timed out or woke spuriously
			case err != nil:
				rerr = os.NewSyscallError("read", err)
			case n == 0:
				rerr = io.EOF
			}
			return
		}
	})
	if cerr != nil {
		return 0, fmt.Errorf("read fd: %w", cerr)
	}
	return buf[0], rerr
}

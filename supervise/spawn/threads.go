package spawn

import (
	"runtime"
	"sync"
)

// spareThreads is how many idle OS threads tend keeps for later.
const spareThreads = 4

// ReserveThreads makes the Go runtime start spareThreads more OS threads
// now, while it can, and keep them idle for later. The runtime aborts the whole
// process when it needs a thread and clone fails, as it does in a full pids
// cgroup (docker run --pids-limit) or at RLIMIT_NPROC; for a PID 1 that
// would end the container. With spare threads, a fork that fails with
// EAGAIN is an error tend logs and backs off from, not a crash.
//
// Each goroutine locks itself to a thread, which takes that thread out of
// the scheduler until all n are locked, so the runtime must start others;
// once released they unlock and exit, and their threads stay idle: the
// runtime only ends a thread whose goroutine exits while locked.
//
// Only when something can refuse a thread (see threadsLimited): each spare
// costs tend's start about 70 µs and its idle state a thread (with them
// and the runtime's template thread, which locked goroutines need, 7
// instead of 4).
func ReserveThreads() {
	if threadsLimited() {
		reserveThreads(spareThreads)
	}
}

func reserveThreads(n int) {
	var locked, release sync.WaitGroup
	locked.Add(n)
	release.Add(1)
	for range n {
		go func() {
			runtime.LockOSThread()
			locked.Done()
			release.Wait()
			runtime.UnlockOSThread()
		}()
	}
	locked.Wait()
	release.Done()
}

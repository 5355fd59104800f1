package logsink

import (
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/signals"
)

// Sink writes tend's own log lines to a file descriptor (stderr) from a
// goroutine of its own, so that a full or broken stderr, which tend shares
// with the child, can never stall the event loop: lines that do not fit in
// the queue are dropped and counted.
//
// The writer writes with write(2) directly, so a closed stderr gives EPIPE,
// and the SIGPIPE the kernel raises with it must not reach the child as if
// a user had sent it: tend's own signal handler drops it
// ([signals.DropsOwnSIGPIPE]); without that handler the writer runs on an
// OS thread of its own with SIGPIPE blocked.
type Sink struct {
	fd      int
	queue   chan []byte
	flushed chan struct{}
	dropped atomic.Int64
	broken  atomic.Bool
}

// logQueue bounds the lines waiting to be written.
const logQueue = 256

// New returns a sink writing to fd and starts its writer.
func New(fd int) *Sink {
	l := &Sink{fd: fd, queue: make(chan []byte, logQueue), flushed: make(chan struct{}, 1)}
	go l.run()
	return l
}

// Write queues a copy of p. It never blocks and never fails: when the queue
// is full or the descriptor is broken the line is dropped.
func (l *Sink) Write(p []byte) (int, error) {
	if l.broken.Load() {
		return len(p), nil
	}
	line := append([]byte(nil), p...)
	select {
	case l.queue <- line:
	default:
		l.dropped.Add(1)
	}
	return len(p), nil
}

// Dropped reports how many lines were dropped so far.
func (l *Sink) Dropped() int64 { return l.dropped.Load() }

// Flush waits until every line queued before the call is written, at most
// timeout: a stderr nobody reads must not keep tend from exiting.
func (l *Sink) Flush(timeout time.Duration) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-l.flushed: // left over from a Flush that timed out
	default:
	}
	select {
	case l.queue <- nil: // a nil line asks the writer to report back
	case <-t.C:
		return
	}
	select {
	case <-l.flushed:
	case <-t.C:
	}
}

func (l *Sink) run() {
	if !signals.DropsOwnSIGPIPE() {
		runtime.LockOSThread() // never unlocked: the thread keeps SIGPIPE blocked
		var set unix.Sigset_t
		set.Val[(unix.SIGPIPE-1)/64] |= 1 << ((uint(unix.SIGPIPE) - 1) % 64)
		_ = unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil)
	}
	for line := range l.queue {
		if line == nil {
			select {
			case l.flushed <- struct{}{}:
			default:
			}
			continue
		}
		if l.broken.Load() {
			continue
		}
		switch err := writeAll(l.fd, line); {
		case errors.Is(err, unix.EAGAIN):
			l.dropped.Add(1) // stayed full for a second: drop this line only
		case err != nil:
			l.broken.Store(true)
		}
	}
}

// writeAll writes p with write(2), retrying short writes and EINTR, and
// waiting up to a second for a non-blocking descriptor to drain.
func writeAll(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := unix.Write(fd, p)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
			if k, perr := unix.Poll(fds, 1000); perr != nil && !errors.Is(perr, unix.EINTR) || k == 0 {
				return unix.EAGAIN
			}
			continue
		case err != nil:
			return err
		}
		p = p[n:]
	}
	return nil
}

// Package signals owns tend's knowledge of signals: the table of names and
// numbers, the parsers for --rewrite and signal-valued options, the
// registration of tend's signal channels, and the kill(2) calls that forward
// a signal to the main child or its process group.
//
// Signals come in two ways. The queued ones (see [Queued]: USR1, USR2,
// WINCH, the real-time signals...) stay blocked on every thread, which
// [Isolate] arranges by executing tend once more at start, and are read
// from a signalfd, one per delivery the kernel queued. The others go
// through os/signal, which keeps one pending bit per signal; the Go
// runtime does not let a program keep them blocked.
//
// Only this package calls [signal.Notify] and reads the signalfd; its one
// goroutine is that reader. It never logs; it returns values and errors
// for its callers to act on.
//
// Some signals are never forwarded, because the Go runtime owns them:
//   - SIGCHLD is tend's own business: it reaps on it.
//   - SIGURG is sent by the Go runtime to itself to preempt goroutines
//     (golang/go#37942); a user's SIGURG cannot be told apart from the
//     runtime's, so tend drops both.
//   - SIGPROF is swallowed by the runtime's profiler and never reaches
//     os/signal.
//   - 32, 33 and 34 are reserved by the C libraries (glibc's SIGCANCEL and
//     SIGSETXID, musl's SIGSYNCCALL) and cannot be caught by a Go program.
//
// SIGKILL and SIGSTOP cannot be caught by anyone.
package signals

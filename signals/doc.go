// Package signals owns tend's knowledge of signals: the table of names and
// numbers, the parsers for --rewrite and signal-valued options, the intake
// of every signal tend receives, and the kill(2) calls that forward a
// signal to the main child or its process group.
//
// [Start] sets the intake up, first thing in main. On amd64 tend installs
// a handler of its own (handler_amd64.s) on every signal it forwards and
// on SIGCHLD, one rt_sigaction call each: it counts each delivery and
// wakes a reader goroutine through an eventfd, which hands each one to
// [Incoming] (see [Notify]). A signal the event loop would only pass on
// to the main child, the handler forwards itself with kill(2) (see
// [SetDirect] and [DirectTo]), and the main thread blocks those so that
// they land on a sleeping thread. Faults the kernel raises in tend's own
// code go on to the Go runtime's handler. Elsewhere every signal goes through
// os/signal, which keeps one pending bit per signal: the ones that would
// end tend are registered at once, the others by a goroutine (see
// [Incoming.Ready]). With --queue-signals the queued ones (see [Queued]:
// USR1, USR2, WINCH, the real-time signals...) stay blocked on every
// thread, which [Isolate] arranges by executing tend once more at start,
// and are read from a signalfd, one per delivery the kernel queued.
//
// Only this package installs signal handlers, calls [signal.Notify] and
// reads the eventfd and the signalfd; its goroutines are those readers and
// the one that registers the later signals with os/signal. It never logs;
// it returns values and errors for its callers to act on.
//
// Some signals are never forwarded, because the Go runtime owns them:
//   - SIGCHLD is tend's own business: it reaps on it.
//   - SIGURG is sent by the Go runtime to itself to preempt goroutines
//     (golang/go#37942); a user's SIGURG cannot be told apart from the
//     runtime's, so tend drops both.
//   - SIGPROF is swallowed by the runtime's profiler and never reaches
//     os/signal.
//   - 32, 33 and 34 are reserved by the C libraries (glibc's SIGCANCEL and
//     SIGSETXID, musl's SIGSYNCCALL). A Go program cannot catch 32 and 34,
//     so tend ignores them (their default would end it); 33 is the
//     runtime's own.
//   - A SIGPIPE that tend's own write raised (SI_USER from tend's own pid:
//     a closed stderr) is not a user's signal; the handler drops it.
//
// SIGKILL and SIGSTOP cannot be caught by anyone.
package signals

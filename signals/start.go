package signals

// Start sets up all of tend's signal intake and returns its channels: call
// it first thing in main, before anything that takes time, since until it
// has run a SIGTERM makes the Go runtime exit with status 2.
//
// With queue, tend reads the queued signals (see [Queued]) one delivery at
// a time: it blocks them and executes itself once (see [Isolate]), which
// costs a second start of the Go runtime; args are tend's arguments, for
// that execve. Without, every signal goes through os/signal, which merges
// copies of one signal that arrive before the previous one was read.
func Start(args []string, queue bool) Incoming {
	isolated := queue && Isolate(args)
	in := Notify(isolated)
	if isolated {
		_ = ResetIgnored()
	}
	return in
}

// Package supervise owns the main child's life: it starts the command,
// hands it the terminal, forwards signals to it, collects every exit through
// the reaper, stops leftovers with a grace period, restarts with backoff,
// runs health probes, enforces a deadline and serves the status endpoint.
//
// Everything happens in one event loop ([Run]); the loop alone starts
// processes and consumes exits, so a pid is always known before its exit is
// read. It forks children itself, with raw system calls between fork and
// exec (fork.go), so that each child clears its own signal mask. Probe
// goroutines only send results back. Nothing here calls Wait on a process,
// parses flags or exits the program.
package supervise

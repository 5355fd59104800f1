// Package supervise owns the main child's life: it runs the one event loop
// ([Run]) that starts the command, forwards signals to it, collects every
// exit through the reaper, stops leftovers with a grace period, restarts
// with backoff, acts on health probes and enforces a deadline. It also
// owns the options ([Config], [Defaults], [Config.Validate], [UsageError])
// and tend's exit statuses.
//
// The jobs the loop delegates live in sub-packages, one owner each:
// spawn (fork/exec, --user, PATH, the terminal, start errors), tree
// (finding and stopping leftovers), probe (HTTP, TCP and the one-shot
// check), status (the --status-addr server), notify (the --notify socket
// and the NOTIFY_SOCKET tend was given), logsink (tend's log output) and
// internal/http1 (the HTTP/1 wire format of probe and status).
//
// The loop alone starts processes and consumes exits, so a pid is always
// known before its exit is read. Probe goroutines only send results back.
// Nothing here calls Wait on a process, parses flags or exits the program.
package supervise

// Package metrics counts what tend's event loop does and writes it in the
// Prometheus text exposition format 0.0.4, for `GET /metrics` on
// --status-addr. It is written without a client library so that the binary
// keeps its two dependencies.
//
// One goroutine (the event loop) records events through the methods of
// [Metrics]; any number of others (the status server) may call
// [Metrics.WriteTo] at the same time. Recording takes a mutex for a few
// nanoseconds and never allocates, so the loop can call it on every reap and
// every forwarded signal. A nil *Metrics records nothing, so the loop need
// not check whether the endpoint is enabled.
//
// The metrics, in the order [Metrics.WriteTo] writes them:
//
//	tend_build_info{version,commit,goversion}  gauge      always 1; labels from New and runtime.Version
//	tend_child_up                              gauge      1 while the main child runs, else 0
//	tend_child_start_time_seconds              gauge      unix time of the last start, 0 before the first
//	tend_child_starts_total                    counter    main child starts, the first one included
//	tend_restarts_total                        counter    restarts the loop decided on (Restarted)
//	tend_child_exits_total{status}             counter    main child exits by status "0".."255" (128+N on signal N)
//	tend_zombies_reaped_total                  counter    processes reaped: the main child, orphans, probes
//	tend_signals_forwarded_total{signal}       counter    signals forwarded to the child, by name ("SIGTERM")
//	tend_probes_total{kind,result}             counter    health probes by kind (cmd, http, tcp) and result (ok, failed)
//	tend_probe_duration_seconds{kind}          histogram  probe durations, buckets 1ms to 10s
//
// Labelled series appear once they have a value: an exit status or a signal
// after its first count, a probe kind after its first probe (then with both
// results). Label values are bounded: statuses 0..255, the names of signals
// 1..64 as [signals.Name] spells them, the three probe kinds; anything else
// is not counted.
package metrics

// Package status owns the --status-addr endpoint: a small HTTP/1 server
// ([Listen]) that answers GET and HEAD /healthz and /readyz from the latest
// [Snapshot] the event loop published, and /metrics from package metrics,
// with bounded connections and timeouts.
package status

// Package probe owns the health probes that do not start a process: the
// HTTP/1 GET of --health-http ([ParseURL], [HTTP]), the TCP connect of
// --health-tcp ([ParseHostPort], [TCP]), the one-shot [Probe] that both the
// event loop and `tend --check` use, and the word splitting of
// --health-cmd ([SplitWords]). A --health-cmd probe itself is a process,
// started by package spawn and reaped by the loop.
package probe

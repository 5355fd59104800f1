// Package logsink owns how tend's own log lines leave the process: a
// non-blocking [Sink] that writes them to stderr from its own goroutine
// and drops (and counts) lines rather than block the event loop, and the
// text and JSON slog handlers ([NewTextHandler], [NewJSONHandler]).
package logsink

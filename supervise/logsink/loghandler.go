package logsink

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// NewJSONHandler returns the slog handler behind --log-format json: one
// JSON object per line, at or above level, written to w. Durations are Go
// duration strings ("grace":"10s", not slog's nanoseconds) and errors are
// their text, even an error that has a MarshalJSON method.
func NewJSONHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: jsonAttr})
}

// jsonAttr is NewJSONHandler's ReplaceAttr. slog resolves a LogValuer
// before calling it.
func jsonAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindDuration:
		a.Value = slog.StringValue(a.Value.Duration().String())
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			a.Value = slog.StringValue(err.Error())
		}
	}
	return a
}

// TextHandler is the slog handler behind tend's default log format: one line
// per record, "tend: message key=value ...", warnings and errors marked
// "warning: " and "error: ". Values that need it are quoted.
type TextHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	level slog.Leveler
	attrs []byte // pre-formatted attributes from WithAttrs
}

// NewTextHandler returns a handler writing records at or above level to w.
func NewTextHandler(w io.Writer, level slog.Leveler) *TextHandler {
	return &TextHandler{mu: new(sync.Mutex), w: w, level: level}
}

// Enabled reports whether records at l are written.
func (h *TextHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

// Handle formats r as one line and writes it.
func (h *TextHandler) Handle(_ context.Context, r slog.Record) error {
	buf := make([]byte, 0, 128)
	buf = append(buf, "tend: "...)
	switch {
	case r.Level >= slog.LevelError:
		buf = append(buf, "error: "...)
	case r.Level >= slog.LevelWarn:
		buf = append(buf, "warning: "...)
	}
	buf = append(buf, r.Message...)
	buf = append(buf, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		buf = appendAttr(buf, a)
		return true
	})
	buf = append(buf, '\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(buf)
	return err
}

// WithAttrs returns a handler that adds attrs to every line.
func (h *TextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append([]byte(nil), h.attrs...)
	for _, a := range attrs {
		h2.attrs = appendAttr(h2.attrs, a)
	}
	return &h2
}

// WithGroup is not used by tend; groups are flattened.
func (h *TextHandler) WithGroup(string) slog.Handler { return h }

func appendAttr(buf []byte, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return buf
	}
	buf = append(buf, ' ')
	buf = append(buf, a.Key...)
	buf = append(buf, '=')
	var s string
	switch a.Value.Kind() {
	case slog.KindString:
		s = a.Value.String()
	case slog.KindDuration:
		s = a.Value.Duration().String()
	case slog.KindTime:
		s = a.Value.Time().Format(time.RFC3339Nano)
	case slog.KindInt64:
		return strconv.AppendInt(buf, a.Value.Int64(), 10)
	default:
		s = a.Value.String()
	}
	if needsQuote(s) {
		return strconv.AppendQuote(buf, s)
	}
	return append(buf, s...)
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r <= ' ' || r == '=' || r == '"' || r == utf8.RuneError || r > '~' {
			return true
		}
	}
	return strings.ContainsRune(s, '\\')
}

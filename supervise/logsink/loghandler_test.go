package logsink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTextHandler(t *testing.T) {
	tests := []struct {
		name  string
		level slog.Level
		msg   string
		args  []any
		want  string
	}{
		{"started", slog.LevelInfo, "started", []any{"pid", 3, "command", "sh"}, "tend: started pid=3 command=sh\n"},
		{"no attributes", slog.LevelInfo, "stopping", nil, "tend: stopping\n"},
		{"space quoted", slog.LevelInfo, "started", []any{"command", "sleep 10"}, "tend: started command=\"sleep 10\"\n"},
		{"empty quoted", slog.LevelInfo, "started", []any{"command", ""}, "tend: started command=\"\"\n"},
		{"equals quoted", slog.LevelInfo, "x", []any{"v", "a=b"}, "tend: x v=\"a=b\"\n"},
		{"quote escaped", slog.LevelInfo, "x", []any{"v", `say "hi"`}, "tend: x v=\"say \\\"hi\\\"\"\n"},
		{"backslash quoted", slog.LevelInfo, "x", []any{"v", `a\b`}, "tend: x v=\"a\\\\b\"\n"},
		{"newline escaped", slog.LevelInfo, "x", []any{"v", "a\nb"}, "tend: x v=\"a\\nb\"\n"},
		{"tab escaped", slog.LevelInfo, "x", []any{"v", "a\tb"}, "tend: x v=\"a\\tb\"\n"},
		{"non-ASCII quoted", slog.LevelInfo, "x", []any{"v", "é"}, "tend: x v=\"é\"\n"},
		{"invalid UTF-8 quoted", slog.LevelInfo, "x", []any{"v", "a\xffb"}, "tend: x v=\"a\\xffb\"\n"},
		{"signal name", slog.LevelInfo, "forwarded", []any{"signal", "SIGTERM", "pgid", 7}, "tend: forwarded signal=SIGTERM pgid=7\n"},
		{"negative int", slog.LevelInfo, "x", []any{"status", -1}, "tend: x status=-1\n"},
		{"duration", slog.LevelInfo, "restarting", []any{"delay", 1500 * time.Millisecond, "attempt", 2}, "tend: restarting delay=1.5s attempt=2\n"},
		{"bool", slog.LevelInfo, "x", []any{"ok", true}, "tend: x ok=true\n"},
		{"error value", slog.LevelInfo, "x", []any{"err", errors.New("connection refused")}, "tend: x err=\"connection refused\"\n"},
		{"empty attr dropped", slog.LevelInfo, "x", []any{slog.Attr{}, "a", 1}, "tend: x a=1\n"},
		{"warning", slog.LevelWarn, "cannot become a subreaper", []any{"err", "operation not permitted"}, "tend: warning: cannot become a subreaper err=\"operation not permitted\"\n"},
		{"error", slog.LevelError, "exec failed", nil, "tend: error: exec failed\n"},
		{"above error", slog.LevelError + 4, "x", nil, "tend: error: x\n"},
		{"between warn and error", slog.LevelWarn + 1, "x", nil, "tend: warning: x\n"},
		{"debug has no prefix", slog.LevelDebug, "reaped", []any{"pid", 9}, "tend: reaped pid=9\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(NewTextHandler(&buf, slog.LevelDebug))
			log.Log(context.Background(), tt.level, tt.msg, tt.args...)
			if got := buf.String(); got != tt.want {
				t.Errorf("log %v %q %v: wrote %q; want %q", tt.level, tt.msg, tt.args, got, tt.want)
			}
		})
	}
}

func TestTextHandlerLevel(t *testing.T) {
	tests := []struct {
		name  string
		level slog.Level
		want  string
	}{
		{"debug (-v)", slog.LevelDebug, "tend: d\ntend: i\ntend: warning: w\ntend: error: e\n"},
		{"info (default)", slog.LevelInfo, "tend: i\ntend: warning: w\ntend: error: e\n"},
		{"warn", slog.LevelWarn, "tend: warning: w\ntend: error: e\n"},
		{"error (--quiet)", slog.LevelError, "tend: error: e\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := NewTextHandler(&buf, tt.level)
			log := slog.New(h)
			log.Debug("d")
			log.Info("i")
			log.Warn("w")
			log.Error("e")
			if got := buf.String(); got != tt.want {
				t.Errorf("handler at %v wrote %q; want %q", tt.level, got, tt.want)
			}
			for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
				if got, want := h.Enabled(context.Background(), l), l >= tt.level; got != want {
					t.Errorf("handler at %v: Enabled(%v) = %v; want %v", tt.level, l, got, want)
				}
			}
		})
	}
}

func TestTextHandlerLevelVar(t *testing.T) {
	var buf bytes.Buffer
	var lv slog.LevelVar
	lv.Set(slog.LevelError)
	log := slog.New(NewTextHandler(&buf, &lv))
	log.Info("hidden")
	lv.Set(slog.LevelInfo)
	log.Info("shown")
	if got, want := buf.String(), "tend: shown\n"; got != want {
		t.Errorf("handler with a LevelVar wrote %q; want %q", got, want)
	}
}

func TestTextHandlerWithAttrs(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(NewTextHandler(&buf, slog.LevelInfo))
	child := base.With("pid", 3)
	child.Info("started", "command", "sh")
	child.With("attempt", 2).Info("restarting")
	base.Info("plain")
	child.WithGroup("g").Info("grouped", "k", "v")
	want := "tend: started pid=3 command=sh\n" +
		"tend: restarting pid=3 attempt=2\n" +
		"tend: plain\n" +
		"tend: grouped pid=3 k=v\n"
	if got := buf.String(); got != want {
		t.Errorf("With/WithGroup wrote %q; want %q", got, want)
	}
}

// TestTextHandlerConcurrent checks that lines from handlers derived with
// WithAttrs, used from many goroutines, never interleave (run with -race).
func TestTextHandlerConcurrent(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(NewTextHandler(&buf, slog.LevelInfo))
	const goroutines, lines = 8, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		log := base
		if g%2 == 1 {
			log = base.With("g", g)
		}
		wg.Go(func() {
			for i := range lines {
				log.Info("probe", "i", i)
			}
		})
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(got) != goroutines*lines {
		t.Fatalf("wrote %d lines; want %d", len(got), goroutines*lines)
	}
	for _, l := range got {
		if !strings.HasPrefix(l, "tend: probe ") || strings.Count(l, "tend:") != 1 {
			t.Fatalf("interleaved line %q", l)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken") }

func TestTextHandlerWriteError(t *testing.T) {
	h := NewTextHandler(failWriter{}, slog.LevelInfo)
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "x", 0)
	if err := h.Handle(context.Background(), r); err == nil {
		t.Errorf("Handle with a failing writer = <nil>; want the write error")
	}
}

// jsonError is an error that marshals as an object: NewJSONHandler still
// writes its text.
type jsonError struct{}

func (jsonError) Error() string                { return "probe timed out" }
func (jsonError) MarshalJSON() ([]byte, error) { return []byte(`{"timeout":true}`), nil }

func TestJSONHandler(t *testing.T) {
	tests := []struct {
		name string
		args []any
		want string // the attributes after time, level and msg
	}{
		{"duration", []any{"grace", 10 * time.Second}, `"grace":"10s"`},
		{"sub-second duration", []any{"delay", 1500 * time.Millisecond}, `"delay":"1.5s"`},
		{"zero duration", []any{"deadline", time.Duration(0)}, `"deadline":"0s"`},
		{"error", []any{"err", errors.New("connection refused")}, `"err":"connection refused"`},
		{"error with MarshalJSON", []any{"err", jsonError{}}, `"err":"probe timed out"`},
		{"wrapped error", []any{"err", fmt.Errorf("dial: %w", errors.New("refused"))}, `"err":"dial: refused"`},
		{"int stays a number", []any{"pid", 7, "status", 143}, `"pid":7,"status":143`},
		{"string", []any{"signal", "SIGTERM"}, `"signal":"SIGTERM"`},
		{"with attrs", []any{slog.Duration("grace", time.Minute)}, `"grace":"1m0s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			slog.New(NewJSONHandler(&buf, slog.LevelDebug)).Info("x", tt.args...)
			got := buf.String()
			var obj map[string]any
			if err := json.Unmarshal(buf.Bytes(), &obj); err != nil || !strings.HasSuffix(got, `"msg":"x",`+tt.want+"}\n") {
				t.Errorf("logged %v: wrote %q (%v); want it to end %q", tt.args, got, err, `"msg":"x",`+tt.want+"}\n")
			}
		})
	}
	var buf bytes.Buffer
	log := slog.New(NewJSONHandler(&buf, slog.LevelInfo))
	log.Debug("hidden")
	log.With("grace", 2*time.Second).Info("shown")
	if got := buf.String(); strings.Contains(got, "hidden") || !strings.HasSuffix(got, `"msg":"shown","grace":"2s"}`+"\n") {
		t.Errorf("handler at info wrote %q; want only the info line, with grace as a string", got)
	}
}

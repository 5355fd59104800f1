//go:build linux

package integration

// --log-format json: every line tend writes is one JSON object, in every
// main scenario, errors included once the format is known.

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// jsonIntKeys are the keys whose values are counts or ids: the only ones
// a JSON log line may hold a number under. A duration is a string.
var jsonIntKeys = []string{"pid", "pgid", "status", "restarts", "failures", "dropped"}

// jsonDurationKeys are the keys that hold a duration, as Go writes it ("10s").
var jsonDurationKeys = []string{"grace", "delay", "deadline"}

// decodeJSONLog decodes each line of stderr as one JSON object and checks
// what every line must have: time (RFC 3339), level and msg; durations as
// duration strings, err as a string, no other number than a count or an id.
func decodeJSONLog(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for _, l := range splitLines(stderr) {
		var obj map[string]any
		if err := json.Unmarshal([]byte(l), &obj); err != nil {
			t.Errorf("line %q is not one JSON object: %v", l, err)
			continue
		}
		for _, k := range []string{"time", "level", "msg"} {
			if s, ok := obj[k].(string); !ok || s == "" {
				t.Errorf("line %q: %s = %#v; want a string", l, k, obj[k])
			}
		}
		if ts, ok := obj["time"].(string); ok {
			if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
				t.Errorf("line %q: time: %v", l, err)
			}
		}
		for k, v := range obj {
			switch {
			case slices.Contains(jsonDurationKeys, k):
				s, ok := v.(string)
				if _, err := time.ParseDuration(s); !ok || err != nil {
					t.Errorf("line %q: %s = %#v; want a duration string like \"10s\"", l, k, v)
				}
			case k == "err" || k == "error":
				if _, ok := v.(string); !ok {
					t.Errorf("line %q: %s = %#v; want a string", l, k, v)
				}
			default:
				if _, ok := v.(float64); ok && !slices.Contains(jsonIntKeys, k) {
					t.Errorf("line %q: %s = %v is a number; only %q may be (a duration is a string)", l, k, v, jsonIntKeys)
				}
			}
		}
		objs = append(objs, obj)
	}
	return objs
}

// TestLogsJSONEveryLine runs tend with --log-format json -v through the
// main scenarios and decodes every line it writes (see decodeJSONLog).
// Each scenario must log the events named in want ("msg" or "msg:key", the
// key being present), so the checks cannot pass on an empty log. A failure
// found once the format is known (a bad option value, a command that
// cannot run, a busy --status-addr) is one JSON line too: level ERROR, msg,
// err, and the status tend exits with.
func TestLogsJSONEveryLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	noExec := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(noExec, []byte("#!/bin/sh\nexit 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	statusAddr := supFreeAddr(t)

	tests := []struct {
		name   string
		env    []string
		args   []string // after --log-format json -v
		drive  func(t *testing.T, p *tendProc)
		status int
		want   []string // events that must be logged: "msg" or "msg:key"
		errOf  string   // the run fails: one ERROR line whose err names this
	}{
		{name: "normal exit", args: helperArgv("exit", "3"), status: 3,
			want: []string{"started:pid", "exited:status", "exiting:status"}},
		{name: "signal forward", args: helperArgv("trap", "-exit-on", "TERM"), status: 0,
			drive: func(t *testing.T, p *tendProc) {
				p.expectReady("")
				p.signal(unix.SIGUSR1)
				p.expectLine("SIGUSR1")
				p.signal(unix.SIGTERM)
			},
			want: []string{"forwarded:signal", "stopping:grace"}},
		{name: "restart with backoff", status: 3,
			args: append([]string{"--restart", "on-failure", "--max-restarts", "2", "--backoff-min", "10ms"}, helperArgv("exit", "3")...),
			want: []string{"restarting:delay", "gave up:restarts"}},
		{name: "deadline", status: 124,
			args: append([]string{"--deadline", "200ms", "--grace", "5s"}, helperArgv("hang")...),
			want: []string{"deadline exceeded:deadline"}},
		{name: "health probe failing", status: 69,
			args: append([]string{"--health-cmd", "/bin/false", "--health-interval", "50ms", "--health-retries", "1"}, helperArgv("hang")...),
			want: []string{"probe failed:err", "unhealthy:err"}},
		{name: "leftovers stopped at shutdown", status: 0,
			args: []string{"/bin/sh", "-c", "sleep 60 & exit 0"},
			want: []string{"stopping leftovers:grace"}},
		{name: "status endpoint", status: 143,
			args: append([]string{"--status-addr", statusAddr}, helperArgv("hang")...),
			drive: func(t *testing.T, p *tendProc) {
				supWaitEndpoints(t, p, statusAddr, supTimeout, 200, 200, "running")
				if resp, err := probeOnce(statusAddr, 5*time.Second); err != nil || !strings.HasPrefix(resp, "HTTP/1.1 200 ") {
					t.Fatalf("probe: %q, %v", resp, err)
				}
				c, err := net.DialTimeout("tcp", statusAddr, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
					t.Fatal(err)
				}
				if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\n\r\n"); err != nil { // no Host: 400
					t.Fatal(err)
				}
				if _, err := io.ReadAll(c); err != nil {
					t.Fatal(err)
				}
				supWaitStderr(t, p, supTimeout, `"msg":"status request rejected"`)
				p.signal(unix.SIGTERM)
			},
			want: []string{"status request rejected:err", "stopping:grace"}},
		{name: "pause", args: []string{"--pause"}, status: 0,
			drive: func(t *testing.T, p *tendProc) {
				supWaitStderr(t, p, supTimeout, `"msg":"pausing"`)
				p.signal(unix.SIGTERM)
			},
			want: []string{"pausing:pid", "stopping:signal"}},
		{name: "not found", args: []string{"tend-no-such-command"}, status: 127, errOf: "tend-no-such-command"},
		{name: "not executable", args: []string{noExec}, status: 126, errOf: noExec},
		{name: "bad grace", args: []string{"--grace", "5x", "true"}, status: 125, errOf: `"5x"`},
		{name: "bad grace variable", env: []string{"TEND_GRACE=5x"}, args: []string{"true"}, status: 125, errOf: `"5x"`},
		{name: "no command", status: 125, errOf: "no command"},
		{name: "missing workdir", args: []string{"--workdir", "/no/such/dir", "true"}, status: 125, errOf: "/no/such/dir"},
		{name: "status address in use", args: []string{"--status-addr", busy.Addr().String(), "true"}, status: 125, errOf: busy.Addr().String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startTend(t, runOpts{Env: tt.env}, append([]string{"--log-format", "json", "-v"}, tt.args...)...)
			if tt.drive != nil {
				tt.drive(t, p)
			}
			p.waitStatus(supTimeout, tt.status)
			objs := decodeJSONLog(t, p.stderr.String())
			if tt.errOf != "" {
				if len(objs) != 1 || p.stdout.String() != "" {
					t.Fatalf("stderr:\n%sstdout: %q; want one JSON line on stderr, nothing on stdout", p.stderr, p.stdout)
				}
				o := objs[0]
				if err, _ := o["err"].(string); o["level"] != "ERROR" || !strings.Contains(err, tt.errOf) || o["status"] != float64(tt.status) {
					t.Errorf("error line %v; want level ERROR, an err naming %q, status %d", o, tt.errOf, tt.status)
				}
				return
			}
			for _, w := range tt.want {
				msg, key, _ := strings.Cut(w, ":")
				if !slices.ContainsFunc(objs, func(o map[string]any) bool {
					_, ok := o[key]
					return o["msg"] == msg && (key == "" || ok)
				}) {
					t.Errorf("no line with msg %q and key %q\nstderr:\n%s", msg, key, p.stderr)
				}
			}
		})
	}
}

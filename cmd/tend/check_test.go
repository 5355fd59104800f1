package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// freeAddr returns a loopback address nothing listens on: a port the
// kernel just handed out and took back.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// silentAddr returns the address of a listener whose backlog holds the
// connection but that never answers, for a probe that must time out.
func silentAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln.Addr().String()
}

// statusServer answers every request with code.
func statusServer(t *testing.T, code int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func TestCheckUsageErrors(t *testing.T) {
	up := statusServer(t, 200)
	tests := []struct {
		name    string
		env     []string
		args    []string
		mention string
	}{
		{"no scheme", nil, []string{"--check", up}, up},
		{"unknown scheme", nil, []string{"--check", "ftp://" + up + "/"}, "ftp://"},
		{"https", nil, []string{"--check", "https://" + up + "/"}, "https"},
		{"bad http host", nil, []string{"--check", "http://a b/"}, "a b"},
		{"tcp without port", nil, []string{"--check", "tcp://127.0.0.1"}, "tcp"},
		{"tcp with a path", nil, []string{"--check", "tcp://" + up + "/x"}, up + "/x"},
		{"empty", nil, []string{"--check", ""}, "--check"},
		{"empty variable", []string{"TEND_CHECK="}, nil, "TEND_CHECK"},
		{"bad variable", []string{"TEND_CHECK=localhost:80"}, nil, "localhost:80"},
		{"bad timeout", nil, []string{"--check", "http://" + up + "/", "--check-timeout", "soon"}, "soon"},
		{"zero timeout", nil, []string{"--check", "http://" + up + "/", "--check-timeout", "0s"}, "0s"},
		{"negative timeout", nil, []string{"--check", "http://" + up + "/", "--check-timeout=-1s"}, "-1s"},
		{"bad timeout variable", []string{"TEND_CHECK_TIMEOUT=1 s"}, []string{"--check", "http://" + up + "/"}, "1 s"},
		{"timeout without check", nil, []string{"--check-timeout", "2s", "true"}, "needs --check"},
		{"timeout variable without check", []string{"TEND_CHECK_TIMEOUT=2s"}, []string{"true"}, "TEND_CHECK_TIMEOUT"},
		{"a command as well", nil, []string{"--check", "http://" + up + "/", "sh", "-c", "echo ran"}, `"sh"`},
		{"a command after --", nil, []string{"--check", "tcp://" + up, "--", "echo", "ran"}, `"echo"`},
		{"a command with the variable", []string{"TEND_CHECK=tcp://" + up}, []string{"echo", "ran"}, `"echo"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runTend(t, tt.env, tt.args...)
			if r.code != 125 {
				t.Errorf("tend %q with %q: exit status %d; want 125\nstdout:\n%s\nstderr:\n%s", tt.args, tt.env, r.code, r.stdout, r.stderr)
			}
			oneErrorLine(t, r, tt.mention) // also: nothing on stdout, so no command ran
		})
	}
}

func TestCheck(t *testing.T) {
	ok, redirect := statusServer(t, 204), statusServer(t, 302)
	failing, missing := statusServer(t, 503), statusServer(t, 404)
	refused, silent := freeAddr(t), silentAddr(t)
	tests := []struct {
		name    string
		env     []string
		args    []string
		want    int
		mention string // what the one error line must name, when want is 1
	}{
		{"http 2xx", nil, []string{"--check", "http://" + ok + "/healthz"}, 0, ""},
		{"http 3xx", nil, []string{"--check", "http://" + redirect + "/"}, 0, ""},
		{"http no path", nil, []string{"--check", "http://" + ok}, 0, ""},
		{"http variable", []string{"TEND_CHECK=http://" + ok + "/healthz"}, nil, 0, ""},
		{"tcp", nil, []string{"--check", "tcp://" + ok}, 0, ""},
		{"tcp variable", []string{"TEND_CHECK=tcp://" + ok, "TEND_CHECK_TIMEOUT=2s"}, nil, 0, ""},
		{"flag beats variable", []string{"TEND_CHECK=tcp://" + refused}, []string{"--check", "tcp://" + ok}, 0, ""},
		{"other options are not read", []string{"TEND_GRACE=banana", "TEND_RESTART=always"}, []string{"--check", "tcp://" + ok}, 0, ""},
		{"http 5xx", nil, []string{"--check", "http://" + failing + "/healthz"}, 1, "http://" + failing + "/healthz: status 503"},
		{"http 4xx", nil, []string{"--check", "http://" + missing + "/x"}, 1, "status 404"},
		{"http refused", nil, []string{"--check", "http://" + refused + "/healthz"}, 1, "connection refused"},
		{"tcp refused", nil, []string{"--check", "tcp://" + refused}, 1, refused},
		{"http timeout", nil, []string{"--check", "http://" + silent + "/", "--check-timeout", "300ms"}, 1, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			r := runTend(t, tt.env, tt.args...)
			elapsed := time.Since(start)
			if r.code != tt.want {
				t.Errorf("tend %q with %q: exit status %d; want %d\nstderr:\n%s", tt.args, tt.env, r.code, tt.want, r.stderr)
			}
			if tt.want == 0 {
				if r.stdout != "" || r.stderr != "" {
					t.Errorf("tend %q: stdout %q, stderr %q; want nothing", tt.args, r.stdout, r.stderr)
				}
				return
			}
			oneErrorLine(t, r, tt.mention)
			if !strings.HasPrefix(r.stderr, "tend: unhealthy: ") {
				t.Errorf("stderr %q; want it to start \"tend: unhealthy: \"", r.stderr)
			}
			if elapsed > 5*time.Second {
				t.Errorf("tend %q took %v; want the probe bounded by --check-timeout", tt.args, elapsed)
			}
		})
	}
}

// TestCheckJSON: under --log-format json an unhealthy check's one line is
// a JSON object too, with the error as text and status 1.
func TestCheckJSON(t *testing.T) {
	refused := freeAddr(t)
	r := runTend(t, nil, "--log-format", "json", "--check", "tcp://"+refused)
	if r.code != 1 {
		t.Fatalf("exit status %d; want 1\nstderr:\n%s", r.code, r.stderr)
	}
	var line struct {
		Level, Err string
		Status     int
	}
	if err := json.Unmarshal([]byte(r.stderr), &line); err != nil || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("stderr %q; want one JSON object: %v", r.stderr, err)
	}
	if line.Level != "ERROR" || line.Status != 1 || !strings.Contains(line.Err, refused) {
		t.Errorf("stderr %q; want level ERROR, status 1 and an err naming %s", r.stderr, refused)
	}
}

// TestCheckIgnoresImageFormat: the image's TEND_LOG_FORMAT is for the tend
// that runs the app; a HEALTHCHECK's --check still prints its plain line.
func TestCheckIgnoresImageFormat(t *testing.T) {
	refused := freeAddr(t)
	r := runTend(t, []string{"TEND_LOG_FORMAT=json"}, "--check", "tcp://"+refused)
	if r.code != 1 {
		t.Fatalf("exit status %d; want 1\nstderr:\n%s", r.code, r.stderr)
	}
	oneErrorLine(t, r, refused)
}

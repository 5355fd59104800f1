package status

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tend-init/tend/supervise/metrics"
)

// startStatus serves a status endpoint on a free loopback port until the
// test ends, publishing whatever st holds.
func startStatus(t *testing.T, st *atomic.Pointer[Snapshot], readTimeout time.Duration) *Server {
	t.Helper()
	s, err := listen("127.0.0.1:0", st.Load, nil, func(msg string, args ...any) { t.Log(append([]any{msg}, args...)...) }, readTimeout, 5*time.Second)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return s
}

// statusClient is a net/http client with no connection reuse and a bound
// on every request.
func statusClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

func TestStatusServerRoutes(t *testing.T) {
	exit := 3
	probed := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	states := []struct {
		name string
		st   *Snapshot
	}{
		{name: "unpublished"},
		{name: "starting", st: &Snapshot{State: "starting"}},
		{name: "running unprobed", st: &Snapshot{State: "running", PID: 42, Live: true}},
		{name: "ready", st: &Snapshot{State: "running", PID: 42, Restarts: 2, LastExit: &exit, Probe: "ok", ProbeTime: probed, Live: true, Ready: true}},
		{name: "unhealthy", st: &Snapshot{State: "running", PID: 42, Probe: "failed: status 500", ProbeTime: probed}},
		{name: "backoff", st: &Snapshot{State: "backoff", Restarts: 1, LastExit: &exit}},
	}
	var cur atomic.Pointer[Snapshot]
	srv := startStatus(t, &cur, 5*time.Second)
	client := statusClient(t)
	base := "http://" + srv.Addr().String()

	for _, state := range states {
		cur.Store(state.st)
		want := state.st
		if want == nil {
			want = &Snapshot{State: "starting"}
		}
		tests := []struct {
			method, path string
			wantCode     int
		}{
			{"GET", "/healthz", codeFor(want.Live)},
			{"HEAD", "/healthz", codeFor(want.Live)},
			{"GET", "/readyz", codeFor(want.Ready)},
			{"HEAD", "/readyz", codeFor(want.Ready)},
			{"GET", "/readyz?verbose=1&x=/healthz", codeFor(want.Ready)},
		}
		for _, tt := range tests {
			t.Run(state.name+" "+tt.method+" "+tt.path, func(t *testing.T) {
				req, err := http.NewRequestWithContext(t.Context(), tt.method, base+tt.path, nil)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("%s %s: %v", tt.method, tt.path, err)
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatalf("read body: %v", err)
				}
				if resp.StatusCode != tt.wantCode {
					t.Errorf("%s %s = %s; want %d", tt.method, tt.path, resp.Status, tt.wantCode)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q; want application/json", ct)
				}
				if !resp.Close {
					t.Errorf("response lacks Connection: close")
				}
				wantBody, _ := json.Marshal(want)
				wantBody = append(wantBody, '\n')
				if resp.ContentLength != int64(len(wantBody)) {
					t.Errorf("Content-Length = %d; want %d", resp.ContentLength, len(wantBody))
				}
				if tt.method == "HEAD" {
					if len(body) != 0 {
						t.Errorf("HEAD body = %q; want none", body)
					}
					return
				}
				if string(body) != string(wantBody) {
					t.Errorf("body = %s; want %s", body, wantBody)
				}
				var got Snapshot
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("body %s: %v", body, err)
				}
				if got.State != want.State || got.PID != want.PID || got.Live != want.Live || got.Ready != want.Ready ||
					!got.ProbeTime.Equal(want.ProbeTime) || (got.LastExit == nil) != (want.LastExit == nil) {
					t.Errorf("decoded %+v; want %+v", got, *want)
				}
			})
		}
	}
}

func codeFor(ok bool) int {
	if ok {
		return http.StatusOK
	}
	return http.StatusServiceUnavailable
}

// TestStatusJSON pins the field names the README documents.
func TestStatusJSON(t *testing.T) {
	exit := 137
	tests := []struct {
		name string
		st   Snapshot
		want string
	}{
		{
			name: "empty",
			st:   Snapshot{State: "starting"},
			want: `{"state":"starting","pid":0,"restarts":0,"last_exit":null,"live":false,"ready":false}`,
		},
		{
			name: "full",
			st:   Snapshot{State: "running", PID: 7, Restarts: 1, LastExit: &exit, Probe: "ok", ProbeTime: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), Live: true, Ready: true},
			want: `{"state":"running","pid":7,"restarts":1,"last_exit":137,"last_probe":"ok","last_probe_time":"2025-06-01T12:00:00Z","live":true,"ready":true}`,
		},
		{
			name: "OOM-killed",
			st:   Snapshot{State: "backoff", Restarts: 0, LastExit: &exit, OOMKilled: true},
			want: `{"state":"backoff","pid":0,"restarts":0,"last_exit":137,"oom_killed":true,"live":false,"ready":false}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.st)
			if err != nil || string(got) != tt.want {
				t.Fatalf("json.Marshal(%+v) = %s, %v; want %s", tt.st, got, err, tt.want)
			}
		})
	}
}

func TestStatusServerErrors(t *testing.T) {
	var cur atomic.Pointer[Snapshot]
	cur.Store(&Snapshot{State: "running", Live: true, Ready: true})
	srv := startStatus(t, &cur, 5*time.Second)
	client := statusClient(t)
	base := "http://" + srv.Addr().String()

	tests := []struct {
		method, path string
		wantCode     int
		wantAllow    string
	}{
		{"GET", "/", 404, ""},
		{"GET", "/healthz/", 404, ""},
		{"GET", "/HEALTHZ", 404, ""},
		{"GET", "/readyz/x", 404, ""},
		{"HEAD", "/nope", 404, ""},
		{"POST", "/nope", 404, ""},
		{"POST", "/healthz", 405, "GET, HEAD"},
		{"PUT", "/readyz", 405, "GET, HEAD"},
		{"DELETE", "/healthz", 405, "GET, HEAD"},
		{"OPTIONS", "/readyz", 405, "GET, HEAD"},
		{"PATCH", "/healthz?x=1", 405, "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, base+tt.path, strings.NewReader(""))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", tt.method, tt.path, err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("read body: %v", err)
			}
			if resp.StatusCode != tt.wantCode {
				t.Errorf("%s %s = %s; want %d", tt.method, tt.path, resp.Status, tt.wantCode)
			}
			if got := resp.Header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q; want %q", got, tt.wantAllow)
			}
			if tt.method != "HEAD" && int64(len(body)) != resp.ContentLength {
				t.Errorf("body %q has %d bytes; Content-Length %d", body, len(body), resp.ContentLength)
			}
		})
	}
}

// rawRequest sends req on a new connection and returns everything the
// server sends until it closes the connection.
func rawRequest(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read response to %q: %v (got %q)", req, err, got)
	}
	return string(got)
}

func TestStatusServerRaw(t *testing.T) {
	var cur atomic.Pointer[Snapshot]
	cur.Store(&Snapshot{State: "running", Live: true})
	srv := startStatus(t, &cur, 5*time.Second)
	addr := srv.Addr().String()

	tests := []struct {
		name string
		req  string
		want string // status line; "" when the request is half-closed and gets no answer
	}{
		{name: "minimal", req: "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", want: "HTTP/1.1 200 OK"},
		{name: "http/1.0 without host", req: "GET /healthz HTTP/1.0\r\n\r\n", want: "HTTP/1.1 200 OK"},
		{name: "bare lf", req: "GET /healthz HTTP/1.1\nHost: x\n\n", want: "HTTP/1.1 200 OK"},
		{name: "leading empty lines", req: "\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", want: "HTTP/1.1 200 OK"},
		{name: "absolute form", req: "GET http://x:1/readyz?a HTTP/1.1\r\nHost: x\r\n\r\n", want: "HTTP/1.1 503 Service Unavailable"},
		{name: "absolute form no path", req: "GET http://x HTTP/1.1\r\nHost: x\r\n\r\n", want: "HTTP/1.1 404 Not Found"},
		{name: "asterisk", req: "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", want: "HTTP/1.1 404 Not Found"},
		{name: "many fields", req: "GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Agent: kube-probe/1.31\r\nAccept: */*\r\nX-Empty:\r\nX-Tab:\ta\tb \r\n\r\n", want: "HTTP/1.1 200 OK"},
		{name: "lower-case method", req: "get /healthz HTTP/1.1\r\nHost: x\r\n\r\n", want: "HTTP/1.1 405 Method Not Allowed"},
		{name: "missing host", req: "GET /healthz HTTP/1.1\r\n\r\n", want: "HTTP/1.1 400 Bad Request"},
		{name: "two hosts", req: "GET /healthz HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", want: "HTTP/1.1 400 Bad Request"},
		{name: "http/0.9", req: "GET /healthz\r\n\r\n", want: "HTTP/1.1 400 Bad Request"},
		{name: "http/2", req: "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", want: "HTTP/1.1 400 Bad Request"},
		{name: "two spaces", req: "GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n", want: "HTTP/1.1 400 Bad Request"},
		{name: "relative target", req: "GET healthz HTTP/1.1\r\nHost: x\r\n\r\n", want: "HTTP/1.1 400 Bad Request"},
		{name: "space before colon", req: "GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", want: "HTTP/1.1 400 Bad Request"},
		{name: "obs-fold", req: "GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", want: "HTTP/1.1 400 Bad Request"},
		{name: "no colon", req: "GET /healthz HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n", want: "HTTP/1.1 400 Bad Request"},
		{name: "bare cr", req: "GET /healthz HTTP/1.1\rHost: x\r\n\r\n", want: "HTTP/1.1 400 Bad Request"},
		{name: "control byte in value", req: "GET /healthz HTTP/1.1\r\nHost: x\x00y\r\n\r\n", want: "HTTP/1.1 400 Bad Request"},
		{name: "non-ascii target", req: "GET /h\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", want: "HTTP/1.1 400 Bad Request"},
		{name: "binary", req: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n", want: "HTTP/1.1 400 Bad Request"},
		{name: "tls client hello", req: "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + strings.Repeat("\x00", 200)},
		{name: "long request line", req: "GET /" + strings.Repeat("a", 5000) + " HTTP/1.1\r\nHost: x\r\n\r\n", want: "HTTP/1.1 431 Request Header Fields Too Large"},
		{name: "long field", req: "GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("a", 5000) + "\r\n\r\n", want: "HTTP/1.1 431 Request Header Fields Too Large"},
		{name: "many fields over the bound", req: "GET /healthz HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: b\r\n", 600) + "\r\n", want: "HTTP/1.1 431 Request Header Fields Too Large"},
		{name: "endless empty lines", req: strings.Repeat("\r\n", 3000), want: "HTTP/1.1 431 Request Header Fields Too Large"},
		{name: "closed mid-head", req: "GET /healthz HTTP/1.1\r\nHo"},
		{name: "closed at once", req: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == "" {
				if got := rawHalfClose(t, addr, tt.req); got != "" {
					t.Fatalf("server answered %q to a cut request; want a silent close", got)
				}
				return
			}
			got := rawRequest(t, addr, tt.req)
			line, _, _ := strings.Cut(got, "\r\n")
			if line != tt.want {
				t.Fatalf("status line %q; want %q (whole response %q)", line, tt.want, got)
			}
			if !strings.Contains(got, "\r\nConnection: close\r\n") {
				t.Errorf("response %q lacks Connection: close", got)
			}
			head, body, ok := strings.Cut(got, "\r\n\r\n")
			if !ok || !strings.Contains(head, "\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n") {
				t.Errorf("response %q: Content-Length does not match its body", got)
			}
		})
	}
}

// rawHalfClose sends req, closes the write side and returns what the server
// sends before it closes.
func rawHalfClose(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatalf("close write: %v", err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(got)
}

// TestStatusServerSlowClient: a client that never finishes its request head
// is dropped at the read deadline, without an answer.
func TestStatusServerSlowClient(t *testing.T) {
	var cur atomic.Pointer[Snapshot]
	srv := startStatus(t, &cur, 200*time.Millisecond)
	c, err := net.DialTimeout("tcp", srv.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v; want the server to close at its deadline", err)
	}
	if len(got) != 0 {
		t.Fatalf("server answered %q to an unfinished head", got)
	}
}

// TestStatusServerConcurrent runs clients in parallel, each making requests
// one after another; 8 clients never hold more than 16 connections.
func TestStatusServerConcurrent(t *testing.T) {
	var cur atomic.Pointer[Snapshot]
	cur.Store(&Snapshot{State: "running", Live: true, Ready: true})
	srv := startStatus(t, &cur, 5*time.Second)
	client := statusClient(t)
	url := "http://" + srv.Addr().String() + "/readyz"

	const clients, requests = 8, 25
	errs := make(chan error, clients*requests)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			for j := range requests {
				if j == requests/2 && i == 0 {
					// Publishing while others read is what the loop does.
					cur.Store(&Snapshot{State: "running", Live: true, Ready: true, Restarts: 1})
				}
				resp, err := client.Get(url)
				if err != nil {
					errs <- err
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil {
					errs <- err
				} else if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("GET /readyz = %s", resp.Status)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestStatusServerLimit: with every slot held by an idle client, a new
// request is still served: the oldest idle connection is closed to make
// room, and the next oldest is still open and served.
func TestStatusServerLimit(t *testing.T) {
	var cur atomic.Pointer[Snapshot]
	cur.Store(&Snapshot{State: "running", Live: true})
	srv := startStatus(t, &cur, 30*time.Second)
	addr := srv.Addr().String()

	var idle []net.Conn
	for range maxStatusConns {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
		if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	// Accepts happen in order, so this one finds every slot taken.
	if resp, err := tryRequest(addr); err != nil || !strings.HasPrefix(resp, "HTTP/1.1 200 OK\r\n") {
		t.Fatalf("connection %d: GET /healthz = %q, %v; want 200", maxStatusConns+1, resp, err)
	}
	if got, err := io.ReadAll(idle[0]); len(got) != 0 || err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("oldest idle connection read %q, %v; want it closed unanswered", got, err)
	}
	if _, err := io.WriteString(idle[1], "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatalf("write on the second oldest: %v", err)
	}
	if got, err := io.ReadAll(idle[1]); err != nil || !strings.HasPrefix(string(got), "HTTP/1.1 200 OK\r\n") {
		t.Fatalf("second oldest idle connection: GET /healthz = %q, %v; want 200", got, err)
	}
}

// TestStatusServerIdleFlood: idle clients, some connected with nothing
// sent, some stalled halfway through a request head, never keep a probe
// from its answer (a kubelet probe times out after 1s by default, and the
// kubelet restarts a pod that fails its liveness probe): with 100 of them
// connected a probe gets 200 within a second, and the server keeps at most
// maxStatusConns connections open, so its descriptors stay bounded.
func TestStatusServerIdleFlood(t *testing.T) {
	var cur atomic.Pointer[Snapshot]
	cur.Store(&Snapshot{State: "running", Live: true})
	// A read deadline far off: making room must not wait for it.
	srv := startStatus(t, &cur, time.Minute)
	addr := srv.Addr().String()

	const flood = 100
	closed := make(chan int, flood) // indices of idle connections the server closed
	for i := range flood {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		defer c.Close()
		if err := c.SetReadDeadline(time.Now().Add(15 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHo"); err != nil {
				t.Fatalf("write %d: %v", i, err)
			}
		}
		go func() {
			var b [1]byte
			_, err := c.Read(b[:])
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				closed <- i // EOF, reset, or our own Close at the end of the test
			}
		}()
	}

	start := time.Now()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("dial the probe: %v", err)
	}
	defer c.Close()
	if err := c.SetDeadline(start.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Agent: kube-probe/1.31\r\n\r\n")
	var resp []byte
	if err == nil {
		resp, err = io.ReadAll(c)
	}
	if err != nil || !strings.HasPrefix(string(resp), "HTTP/1.1 200 OK\r\n") {
		t.Fatalf("probe after %d idle connections: %q, %v after %v; want 200 within 1s", flood, resp, err, time.Since(start))
	}

	// The probe took the slot of the oldest that was left.
	want := flood + 1 - maxStatusConns
	got := 0
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for got < want {
		select {
		case <-closed:
			got++
		case <-deadline.C:
			t.Fatalf("server closed %d of %d idle connections; want at least %d (at most %d open)", got, flood, want, maxStatusConns)
		}
	}
}

// tryRequest makes one GET /healthz on a raw connection and returns the
// response, or an error if the connection was dropped.
func tryRequest(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return "", err
	}
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

// TestStatusServerClose: Close stops the listener, drops a connection being
// served, and returns; a second Close returns the same.
func TestStatusServerClose(t *testing.T) {
	var cur atomic.Pointer[Snapshot]
	srv, err := listen("127.0.0.1:0", cur.Load, nil, nil, time.Minute, time.Minute)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := srv.Addr().String()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	// Wait until the server is serving c: a request on another
	// connection is answered only after c was accepted.
	if resp, err := tryRequest(addr); err != nil || !strings.HasPrefix(resp, "HTTP/1.1 503") {
		t.Fatalf("GET /healthz = %q, %v; want 503", resp, err)
	}

	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close() = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return with a connection open")
	}
	if got, err := io.ReadAll(c); len(got) != 0 || err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("open connection read %q, %v after Close; want EOF", got, err)
	}
	if c2, err := net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
		c2.Close()
		t.Errorf("dial %s after Close succeeded", addr)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}
}

func TestListenStatusErrors(t *testing.T) {
	busy := listenTCP(t).Addr().String()
	tests := []struct {
		name, addr, wantErr string
	}{
		{name: "in use", addr: busy, wantErr: "address already in use"},
		{name: "no port", addr: "127.0.0.1", wantErr: "missing port"},
		{name: "bad port", addr: "127.0.0.1:http-alt-nope", wantErr: "unknown port"},
	}
	var cur atomic.Pointer[Snapshot]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Listen(tt.addr, cur.Load, nil, nil)
			if err == nil {
				s.Close()
				t.Fatalf("Listen(%q) = <nil>; want error containing %q", tt.addr, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.addr) {
				t.Fatalf("Listen(%q) = %v; want an error naming it and containing %q", tt.addr, err, tt.wantErr)
			}
		})
	}
}

// listenTCP listens on a free loopback port until the test ends.
func listenTCP(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

func TestStatusServerMetrics(t *testing.T) {
	m := metrics.New("v9.9.9", "abc123")
	m.ChildStarted(time.Unix(1764700000, 0))
	m.Forwarded(syscall.SIGHUP)
	var cur atomic.Pointer[Snapshot]
	srv, err := listen("127.0.0.1:0", cur.Load, m, nil, 5*time.Second, 5*time.Second)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	var want bytes.Buffer
	if _, err := m.WriteTo(&want); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, req  string
		wantStatus string
		wantBody   string
	}{
		{"GET", "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK", want.String()},
		{"GET with query", "GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK", want.String()},
		{"HEAD", "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK", ""},
		{"POST", "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405 Method Not Allowed", "method not allowed\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rawRequest(t, srv.Addr().String(), tt.req)
			head, body, ok := strings.Cut(got, "\r\n\r\n")
			if !ok {
				t.Fatalf("response %q has no end of head", got)
			}
			lines := strings.Split(head, "\r\n")
			if lines[0] != tt.wantStatus {
				t.Errorf("status line %q; want %q", lines[0], tt.wantStatus)
			}
			if body != tt.wantBody {
				t.Errorf("body %q; want %q", body, tt.wantBody)
			}
			if tt.wantStatus != "HTTP/1.1 200 OK" {
				return
			}
			if !slices.Contains(lines, "Content-Type: text/plain; version=0.0.4; charset=utf-8") {
				t.Errorf("head %q lacks the Prometheus text format's Content-Type", head)
			}
			if cl := "Content-Length: " + strconv.Itoa(want.Len()); !slices.Contains(lines, cl) {
				t.Errorf("head %q lacks %q", head, cl)
			}
			if tt.name != "HEAD" && !strings.HasPrefix(body, "# HELP ") {
				t.Errorf("body %q does not start with # HELP", body)
			}
		})
	}
}

// A server given no metrics has no /metrics route.
func TestStatusServerNoMetrics(t *testing.T) {
	var cur atomic.Pointer[Snapshot]
	srv := startStatus(t, &cur, 5*time.Second)
	got := rawRequest(t, srv.Addr().String(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
	if !strings.HasPrefix(got, "HTTP/1.1 404 Not Found\r\n") {
		t.Errorf("GET /metrics without metrics answered %q; want 404", got)
	}
}

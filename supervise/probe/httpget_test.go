package probe

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestParseProbeURL(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    URL
		wantErr string
	}{
		{name: "plain", in: "http://127.0.0.1:8080/healthz", want: URL{"127.0.0.1:8080", "127.0.0.1:8080", "/healthz"}},
		{name: "default port", in: "http://app/", want: URL{"app:80", "app", "/"}},
		{name: "empty path", in: "http://app", want: URL{"app:80", "app", "/"}},
		{name: "empty port", in: "http://app:/x", want: URL{"app:80", "app", "/x"}},
		{name: "query kept", in: "http://app:81/h?deep=1&x=%20y", want: URL{"app:81", "app:81", "/h?deep=1&x=%20y"}},
		{name: "query without path", in: "http://app?x", want: URL{"app:80", "app", "/?x"}},
		{name: "scheme case", in: "HTTP://App.Local:0080/", want: URL{"App.Local:80", "App.Local:80", "/"}},
		{name: "ipv6", in: "http://[::1]:9000/ready", want: URL{"[::1]:9000", "[::1]:9000", "/ready"}},
		{name: "ipv6 default port", in: "http://[2001:db8::1]", want: URL{"[2001:db8::1]:80", "[2001:db8::1]", "/"}},
		{name: "ipv6 zone", in: "http://[fe80::1%25eth0]:80/", want: URL{"[fe80::1%eth0]:80", "[fe80::1]:80", "/"}},
		{name: "non-ascii encoded", in: "http://h/é", want: URL{"h:80", "h", "/%C3%A9"}},
		{name: "sub-delims", in: "http://h/a;b=c,d:e@f!$'()*+~", want: URL{"h:80", "h", "/a;b=c,d:e@f!$'()*+~"}},
		{name: "https", in: "https://app/", wantErr: "https is not supported in this version"},
		{name: "other scheme", in: "ftp://app/", wantErr: `unsupported scheme "ftp"`},
		{name: "no scheme", in: "app:8080/healthz", wantErr: "missing http:// scheme"},
		{name: "empty", in: "", wantErr: "missing http:// scheme"},
		{name: "userinfo", in: "http://u:p@app/", wantErr: "userinfo is not allowed"},
		{name: "fragment", in: "http://app/#x", wantErr: "fragment is not allowed"},
		{name: "empty host", in: "http:///x", wantErr: "missing host"},
		{name: "port only", in: "http://:8080/", wantErr: "missing host"},
		{name: "port zero", in: "http://app:0/", wantErr: "not in 1-65535"},
		{name: "port too big", in: "http://app:65536/", wantErr: "not in 1-65535"},
		{name: "port name", in: "http://app:http/", wantErr: "not a number"},
		{name: "bare ipv6", in: "http://::1/", wantErr: "needs brackets"},
		{name: "unclosed bracket", in: "http://[::1/", wantErr: "missing ']'"},
		{name: "junk after bracket", in: "http://[::1]x/", wantErr: "invalid port"},
		{name: "bracketed ipv4", in: "http://[1.2.3.4]/", wantErr: "only for IPv6"},
		{name: "raw zone", in: "http://[fe80::1%eth0]/", wantErr: "zone is written %25"},
		{name: "space in host", in: "http://a b/", wantErr: "invalid host"},
		{name: "space in path", in: "http://app/a b", wantErr: `invalid character ' ' in path`},
		{name: "crlf in path", in: "http://app/a\r\nX: y", wantErr: `invalid character '\r' in path`},
		{name: "quote in path", in: `http://app/"`, wantErr: "invalid character"},
		{name: "bad percent", in: "http://app/%zz", wantErr: "invalid percent-encoding"},
		{name: "short percent", in: "http://app/%4", wantErr: "invalid percent-encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseURL(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseURL(%q) = %+v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				if prefix := fmt.Sprintf("parse URL %q: ", tt.in); !strings.HasPrefix(err.Error(), prefix) {
					t.Errorf("ParseURL(%q) error %q does not start with %q", tt.in, err, prefix)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseURL(%q) = %+v, %v; want %+v, <nil>", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestProbeHTTP probes Go's net/http server.
func TestProbeHTTP(t *testing.T) {
	type seen struct {
		method, uri, host, agent string
		close                    bool
		proto                    string
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Method, r.RequestURI, r.Host, r.UserAgent(), r.Close, r.Proto}
		switch r.URL.Path {
		case "/ok":
			_, _ = io.WriteString(w, strings.Repeat("body ", 10000))
		case "/moved":
			http.Redirect(w, r, "/nowhere", http.StatusMovedPermanently)
		case "/found":
			http.Redirect(w, r, "/nowhere", http.StatusFound)
		case "/error":
			http.Error(w, "broken", http.StatusInternalServerError)
		case "/unavailable":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/early":
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	hostport := srv.Listener.Addr().String()

	tests := []struct {
		path        string
		wantCode    int
		wantHealthy bool
	}{
		{path: "/ok", wantCode: 200, wantHealthy: true},
		{path: "/ok?verbose=1&x=%2F", wantCode: 200, wantHealthy: true},
		{path: "/moved", wantCode: 301, wantHealthy: true},
		{path: "/found", wantCode: 302, wantHealthy: true},
		{path: "/early", wantCode: 204, wantHealthy: true},
		{path: "/missing", wantCode: 404},
		{path: "/error", wantCode: 500},
		{path: "/unavailable", wantCode: 503},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			u, err := ParseURL("http://" + hostport + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			code, err := HTTP(t.Context(), u, 5*time.Second)
			if err != nil || code != tt.wantCode {
				t.Fatalf("HTTP(%s) = %d, %v; want %d, <nil>", u, code, err, tt.wantCode)
			}
			if Healthy(code) != tt.wantHealthy {
				t.Errorf("Healthy(%d) = %t; want %t", code, !tt.wantHealthy, tt.wantHealthy)
			}
			want := seen{"GET", tt.path, hostport, "tend-probe", true, "HTTP/1.1"}
			if s := <-got; s != want {
				t.Errorf("server saw %+v; want %+v", s, want)
			}
		})
	}
}

func TestHealthyStatus(t *testing.T) {
	tests := []struct {
		code int
		want bool
	}{
		{0, false}, {101, false}, {199, false}, {200, true}, {204, true}, {299, true},
		{301, true}, {304, true}, {399, true}, {400, false}, {404, false}, {500, false}, {999, false},
	}
	for _, tt := range tests {
		if got := Healthy(tt.code); got != tt.want {
			t.Errorf("Healthy(%d) = %t; want %t", tt.code, got, tt.want)
		}
	}
}

// TestProbeHTTPHang: a server that accepts the request and never answers
// must cost the probe no more than its timeout.
func TestProbeHTTPHang(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close

	u, err := ParseURL(srv.URL + "/slow")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, err := HTTP(t.Context(), u, 200*time.Millisecond)
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("HTTP(%s) = %d, %v; want a timeout error", u, code, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("HTTP(%s) returned after %v with a 200ms timeout", u, d)
	}
}

// TestProbeHTTPCancel: canceling the context (tend stopping) interrupts a
// probe blocked on a read, and the error says so.
func TestProbeHTTPCancel(t *testing.T) {
	arrived := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	u, err := ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := HTTP(ctx, u, time.Minute)
		done <- err
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the request did not reach the server")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("HTTP(%s) after cancel = %v; want context.Canceled", u, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ProbeHTTP did not return after cancel")
	}
}

func TestProbeHTTPRefused(t *testing.T) {
	u, err := ParseURL("http://" + closedPort(t) + "/")
	if err != nil {
		t.Fatal(err)
	}
	code, err := HTTP(t.Context(), u, 5*time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("HTTP(%s) = %d, %v; want ECONNREFUSED", u, code, err)
	}
	if !strings.HasPrefix(err.Error(), "get "+u.String()+": ") {
		t.Errorf("ProbeHTTP error %q does not name the URL", err)
	}
}

// TestProbeHTTPRaw probes a raw TCP peer that answers with each reply and
// closes, or streams forever.
func TestProbeHTTPRaw(t *testing.T) {
	endless := func(prefix string) func(net.Conn) {
		return func(c net.Conn) {
			_, _ = io.WriteString(c, prefix)
			chunk := bytes.Repeat([]byte("a"), 1024)
			for {
				if _, err := c.Write(chunk); err != nil {
					return // the prober closed the connection
				}
			}
		}
	}
	reply := func(s string) func(net.Conn) {
		return func(c net.Conn) { _, _ = io.WriteString(c, s) }
	}
	tests := []struct {
		name     string
		serve    func(net.Conn)
		wantCode int
		wantErr  string
	}{
		{name: "crlf", serve: reply("HTTP/1.1 200 OK\r\n\r\n"), wantCode: 200},
		{name: "bare lf", serve: reply("HTTP/1.0 204 No Content\n"), wantCode: 204},
		{name: "status line only then close", serve: reply("HTTP/1.1 503 Busy\r\n"), wantCode: 503},
		{name: "interim then final", serve: reply("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\nLink: x\r\n\r\nHTTP/1.1 418 Teapot\r\n"), wantCode: 418},
		{name: "switching protocols is final", serve: reply("HTTP/1.1 101 Switching\r\n\r\n"), wantCode: 101},
		{name: "closed at once", serve: reply(""), wantErr: "connection closed after 0 bytes"},
		{name: "no line end", serve: reply("HTTP/1.1 200 OK"), wantErr: "unexpected EOF"},
		{name: "garbage", serve: reply("SSH-2.0-OpenSSH_9.6\r\n"), wantErr: "malformed status line"},
		{name: "http/0.9 body", serve: reply("<html>ok</html>\n"), wantErr: "malformed status line"},
		{name: "binary", serve: reply("\x00\x01\x02\xff\n"), wantErr: "malformed status line"},
		{name: "endless status line", serve: endless("HTTP/1.1 200 "), wantErr: "response head longer than 4096 bytes"},
		{name: "endless garbage", serve: endless(""), wantErr: "response head longer than 4096 bytes"},
		{name: "endless interim header", serve: endless("HTTP/1.1 100 Continue\r\nX: "), wantErr: "response head longer than 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := rawPeer(t, tt.serve)
			u, err := ParseURL("http://" + addr + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			code, err := HTTP(t.Context(), u, 5*time.Second)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("HTTP(%s) = %d, %v; want error containing %q", u, code, err, tt.wantErr)
				}
				return
			}
			if err != nil || code != tt.wantCode {
				t.Fatalf("HTTP(%s) = %d, %v; want %d, <nil>", u, code, err, tt.wantCode)
			}
		})
	}
}

func TestProbeHTTPInvalidURL(t *testing.T) {
	tests := []struct {
		name string
		u    URL
	}{
		{name: "zero", u: URL{}},
		{name: "header injection", u: URL{Host: "127.0.0.1:1", HostHeader: "a\r\nX: y", Path: "/"}},
		{name: "relative path", u: URL{Host: "127.0.0.1:1", HostHeader: "a", Path: "x"}},
		{name: "space in path", u: URL{Host: "127.0.0.1:1", HostHeader: "a", Path: "/a b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, err := HTTP(t.Context(), tt.u, time.Second); err == nil || !strings.Contains(err.Error(), "invalid probe URL") {
				t.Fatalf("HTTP(%+v) = %d, %v; want an invalid probe URL error", tt.u, code, err)
			}
		})
	}
}

// rawPeer serves each connection on a loopback listener with serve, after
// reading the request head, then closes it. The listener and every
// connection are closed, and serve has returned, when the test ends.
func rawPeer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln := listenTCP(t)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				serve(c)
			})
		}
	})
	return ln.Addr().String()
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"http://127.0.0.1:8080/healthz?x=1",
		"http://[::1]:80",
		"http://[fe80::1%25eth0]:8080/",
		"HTTP://app:/é",
		"https://app/",
		"http://u@app/#f",
		"http://app/%4",
		"http://[fe80::e%25 000]:00100",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURL(s)
		if err != nil {
			return
		}
		if err := u.check(); err != nil {
			t.Fatalf("ParseURL(%q) = %+v, which ProbeHTTP rejects: %v", s, u, err)
		}
		if strings.Contains(u.Host, "%") {
			return // the zone is not in String, so no round trip
		}
		again, err := ParseURL(u.String())
		if err != nil || again != u {
			t.Fatalf("ParseURL(%q) = %+v, %v; want %+v (from %q)", u.String(), again, err, u, s)
		}
	})
}

// TestProbeHTTPNoReset: the probe reads the rest of a response before it
// closes, so the server sees an orderly close, not "connection reset by
// peer".
func TestProbeHTTPNoReset(t *testing.T) {
	got := make(chan error, 1)
	addr := rawPeer(t, func(c net.Conn) {
		body := strings.Repeat("x", 8<<10)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 8192\r\nConnection: close\r\n\r\n"+body)
		_ = c.(*net.TCPConn).CloseWrite()
		_, err := c.Read(make([]byte, 1))
		got <- err
	})
	u, err := ParseURL("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	if code, err := HTTP(t.Context(), u, 5*time.Second); err != nil || code != 200 {
		t.Fatalf("ProbeHTTP = %d, %v; want 200", code, err)
	}
	select {
	case err := <-got:
		if err != io.EOF {
			t.Errorf("the server's read after the probe closed: %v; want EOF (an orderly close)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server never saw the probe close")
	}
}

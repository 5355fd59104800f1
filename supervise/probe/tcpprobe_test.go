package probe

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseHostPort(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{name: "ipv4", in: "127.0.0.1:8080", want: "127.0.0.1:8080"},
		{name: "name", in: "db.internal:5432", want: "db.internal:5432"},
		{name: "name final dot", in: "db.internal.:5432", want: "db.internal.:5432"},
		{name: "localhost", in: "localhost:1", want: "localhost:1"},
		{name: "underscore", in: "my_svc:80", want: "my_svc:80"},
		{name: "ipv6", in: "[::1]:65535", want: "[::1]:65535"},
		{name: "ipv6 zone", in: "[fe80::1%eth0]:80", want: "[fe80::1%eth0]:80"},
		{name: "leading zeros", in: "h:0080", want: "h:80"},
		{name: "empty", in: "", wantErr: "missing port"},
		{name: "no port", in: "localhost", wantErr: "missing port"},
		{name: "empty port", in: "localhost:", wantErr: "missing port"},
		{name: "empty host", in: ":8080", wantErr: "missing host"},
		{name: "port zero", in: "h:0", wantErr: "not in 1-65535"},
		{name: "port too big", in: "h:65536", wantErr: "not in 1-65535"},
		{name: "port name", in: "h:http", wantErr: "not a number"},
		{name: "port sign", in: "h:+80", wantErr: "not a number"},
		{name: "port space", in: "h: 80", wantErr: "not a number"},
		{name: "bare ipv6", in: "::1:80", wantErr: "too many colons"},
		{name: "space in host", in: "a b:80", wantErr: "invalid host"},
		{name: "slash in host", in: "a/b:80", wantErr: "invalid host"},
		{name: "url", in: "http://a:80", wantErr: "too many colons"},
		{name: "empty label", in: "a..b:80", wantErr: "invalid host"},
		{name: "long label", in: strings.Repeat("a", 64) + ":80", wantErr: "invalid host"},
		{name: "ipv4 zone", in: "[1.2.3.4%eth0]:80", wantErr: "invalid host"},
		{name: "zone with space", in: "[fe80::1%a b]:80", wantErr: "invalid zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHostPort(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseHostPort(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "parse address ") {
					t.Errorf("ParseHostPort(%q) error %q does not name the operation", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseHostPort(%q) = %q, %v; want %q, <nil>", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestProbeTCP(t *testing.T) {
	open := listenTCP(t)
	go func() {
		for {
			c, err := open.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	refused := closedPort(t)

	canceled, cancel := context.WithCancel(t.Context())
	cancel()

	tests := []struct {
		name    string
		ctx     context.Context
		addr    string
		wantErr error // nil: healthy
	}{
		{name: "listening", ctx: t.Context(), addr: open.Addr().String()},
		{name: "refused", ctx: t.Context(), addr: refused, wantErr: syscall.ECONNREFUSED},
		{name: "canceled", ctx: canceled, addr: open.Addr().String(), wantErr: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := TCP(tt.ctx, tt.addr, 2*time.Second)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("TCP(%s) = %v; want %v", tt.addr, err, tt.wantErr)
			}
		})
	}
}

// TestProbeTCPTimeout connects to a listener whose accept queue is full, so
// the kernel drops the SYN and the connect hangs until the probe timeout.
func TestProbeTCPTimeout(t *testing.T) {
	addr := fullBacklog(t)
	start := time.Now()
	err := TCP(t.Context(), addr, 200*time.Millisecond)
	if err == nil {
		t.Fatalf("TCP(%s) = <nil>; want a timeout", addr)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("TCP(%s) = %v; want a timeout error", addr, err)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("TCP(%s) took %v with a 200ms timeout", addr, d)
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

// closedPort returns a loopback address that refuses connections: a port that
// was free a moment ago.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	return addr
}

// fullBacklog returns the address of a loopback listener with a backlog of
// zero whose single queue slot is taken and which never accepts: Linux drops
// further SYNs (tcp_conn_request, sk_acceptq_is_full), so a connect hangs.
// The test is skipped if the kernel completes the handshake anyway.
func fullBacklog(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("bind: %v", err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatalf("listen: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	addr := (&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*syscall.SockaddrInet4).Port}).String()
	// Fill the queue; stop at the first connect that hangs.
	for range 4 {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { _ = c.Close() })
	}
	t.Skipf("listener %s with backlog 0 still completes handshakes", addr)
	return ""
}

package notify

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// send writes one datagram to path, as sd_notify does.
func send(t *testing.T, path, msg string) {
	t.Helper()
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
}

func next(t *testing.T, s *Socket) Datagram {
	t.Helper()
	select {
	case d, ok := <-s.C():
		if !ok {
			t.Fatal("socket channel closed")
		}
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("no datagram within 5s")
	}
	return Datagram{}
}

func TestListen(t *testing.T) {
	base := t.TempDir()
	s, err := Listen([]string{filepath.Join(base, "missing"), base}, nil, func(pid int) bool { return pid == os.Getpid() })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Path(), base+"/tend-notify-") {
		t.Errorf("Path() = %q; want it under %s, the first directory that exists", s.Path(), base)
	}
	fi, err := os.Stat(filepath.Dir(s.Path()))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode = %v, %v; want 0700", fi.Mode().Perm(), err)
	}

	send(t, s.Path(), "READY=1\nSTATUS=up")
	d := next(t, s)
	if !d.Creds || d.PID != os.Getpid() || d.UID != os.Getuid() || !d.Descendant {
		t.Errorf("credentials = %v pid %d uid %d, checked %v; want pid %d uid %d, checked true", d.Creds, d.PID, d.UID, d.Descendant, os.Getpid(), os.Getuid())
	}
	if !d.Msg.Ready || d.Msg.Status != "up" {
		t.Errorf("message = %+v; want READY=1 and STATUS=up", d.Msg)
	}

	send(t, s.Path(), strings.Repeat("x", maxDatagram+1))
	if d := next(t, s); !d.Truncated {
		t.Errorf("a %d-byte datagram: %+v; want Truncated", maxDatagram+1, d)
	}

	dir := filepath.Dir(s.Path())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after Close, stat %s: %v; want it gone", dir, err)
	}
	select {
	case _, ok := <-s.C():
		if ok {
			t.Error("a datagram after Close")
		}
	case <-time.After(5 * time.Second):
		t.Error("C() not closed 5s after Close")
	}
}

func TestListenNoDirectory(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	_, err := Listen([]string{a, b}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b) || strings.Contains(err.Error(), "\n") {
		t.Errorf("Listen(%q, %q) error = %q; want one line naming both", a, b, err)
	}
}

func TestUpstream(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "up.sock")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	u, err := NewUpstream(path)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := u.Ready(); err != nil {
			t.Fatal(err)
		}
	}
	if sent, err := u.Stopping(); !sent || err != nil {
		t.Fatalf("Stopping() = %v, %v; want true, <nil>", sent, err)
	}
	var got []string
	buf := make([]byte, 64)
	_ = ln.SetReadDeadline(time.Now().Add(5 * time.Second))
	for range 2 {
		n, err := ln.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(buf[:n]))
	}
	_ = ln.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := ln.Read(buf); err == nil {
		got = append(got, string(buf[:n]))
	}
	if strings.Join(got, ",") != "READY=1,STOPPING=1" {
		t.Errorf("upstream got %q; want READY=1 once, then STOPPING=1", got)
	}
}

func TestNewUpstream(t *testing.T) {
	tests := []struct {
		addr    string
		enabled bool
		wantErr bool
	}{
		{addr: "", enabled: false},
		{addr: "/run/notify", enabled: true},
		{addr: "@abstract", enabled: true},
		{addr: "vsock:2:1234", wantErr: true},
		{addr: "relative/path", wantErr: true},
	}
	for _, tt := range tests {
		u, err := NewUpstream(tt.addr)
		if (err != nil) != tt.wantErr || err == nil && u.Enabled() != tt.enabled {
			t.Errorf("NewUpstream(%q) = enabled %v, %v; want enabled %v, error %v", tt.addr, u.Enabled(), err, tt.enabled, tt.wantErr)
		}
	}
}

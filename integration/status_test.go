//go:build linux

package integration

// The status endpoint under idle clients: a kubelet probe is answered
// whatever else holds connections open.

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestStatusEndpointIdleClients: tend (PID 1, RLIMIT_NOFILE 64, which it
// cannot raise) with 100 idle connections on --status-addr, half of them
// stalled in the middle of a request head, still answers a probe with 200
// within a second (the kubelet's default probe timeout), and keeps
// serving.
func TestStatusEndpointIdleClients(t *testing.T) {
	t.Parallel()
	addr := supFreeAddr(t)
	p := startPID1NoFile(t, 64, 64, append([]string{"--status-addr", addr}, helperArgv("hang")...)...)
	supWaitEndpoints(t, p, addr, 10*time.Second, 200, 200, "running")

	for i := range 100 {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		defer c.Close()
		if i%2 == 1 {
			if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHo"); err != nil {
				t.Fatalf("write %d: %v", i, err)
			}
		}
	}
	for i := range 3 {
		start := time.Now()
		resp, err := probeOnce(addr, time.Second)
		if err != nil || !strings.HasPrefix(resp, "HTTP/1.1 200 OK\r\n") {
			t.Fatalf("probe %d with 100 idle connections: %q, %v after %v; want 200 within 1s\nstderr:\n%s", i, resp, err, time.Since(start), p.stderr)
		}
	}
	p.signal(unix.SIGTERM)
	p.waitStatus(supTimeout, 143)
}

// probeOnce sends what the kubelet sends for an HTTP liveness probe on a
// new connection and returns the response, all within d.
func probeOnce(addr string, d time.Duration) (string, error) {
	deadline := time.Now().Add(d)
	c, err := net.DialTimeout("tcp", addr, d)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(deadline); err != nil {
		return "", err
	}
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\nUser-Agent: kube-probe/1.31\r\nAccept: */*\r\nConnection: close\r\n\r\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	if errors.Is(err, unix.ECONNRESET) && len(b) == 0 {
		return "", errors.New("connection reset")
	}
	return string(b), err
}

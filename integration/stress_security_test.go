//go:build stress && linux

package integration

// Security: no port unless --status-addr; --user leaves the child no way
// back to root; a --health-cmd probe has no terminal and none of tend's
// descriptors; the status endpoint refuses other methods and bounds the
// size and time of a request.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// socketInodes returns the inodes of the sockets among pid's descriptors.
func socketInodes(t *testing.T, pid int) []string {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var inodes []string
	for _, e := range ents {
		l, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes = append(inodes, strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]"))
		}
	}
	return inodes
}

// netSocket is one line of /proc/PID/net/{tcp,tcp6,udp,udp6}.
type netSocket struct {
	Proto, Local, State, Inode string
}

// listening returns the TCP sockets in LISTEN state and every UDP socket
// of pid's network namespace that are among inodes, with their local
// address as "IP:PORT" (hex IP as the kernel prints it).
func listening(t *testing.T, pid int, inodes []string) []netSocket {
	t.Helper()
	var out []netSocket
	for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, proto))
		if err != nil {
			continue
		}
		for l := range strings.Lines(string(b)) {
			f := strings.Fields(l)
			if len(f) < 10 || f[0] == "sl" || !slices.Contains(inodes, f[9]) {
				continue
			}
			if strings.HasPrefix(proto, "tcp") && f[3] != "0A" {
				continue
			}
			out = append(out, netSocket{Proto: proto, Local: f[1], State: f[3], Inode: f[9]})
		}
	}
	return out
}

// TestStressNoPortByDefault: without --status-addr tend holds no socket at
// all; with --status-addr 127.0.0.1:0 it listens on exactly one TCP socket,
// on 127.0.0.1.
func TestStressNoPortByDefault(t *testing.T) {
	t.Parallel()
	health := []string{"-v", "--health-cmd", "true", "--health-interval", "100ms"}
	p := startPID1(t, runOpts{}, append(health, helperArgv("trap")...)...)
	p.expectReady("")
	waitFor(t, 20*time.Second, "tend to run three probes", func() bool { return strings.Count(p.stderr.String(), "probe passed") >= 3 })
	if s := socketInodes(t, p.pid()); len(s) > 0 {
		t.Errorf("tend holds %d sockets without --status-addr: %v (listening: %v)", len(s), s, listening(t, p.pid(), s))
	}
	q := startPID1(t, runOpts{}, append([]string{"--status-addr", "127.0.0.1:0"}, helperArgv("trap")...)...)
	q.expectReady("")
	l := listening(t, q.pid(), socketInodes(t, q.pid()))
	if len(l) != 1 || l[0].Proto != "tcp" || !strings.HasPrefix(l[0].Local, "0100007F:") {
		t.Errorf("with --status-addr 127.0.0.1:0 tend listens on %v; want one tcp socket on 127.0.0.1 (0100007F)", l)
	}
}

// statusPort finds the port tend's status endpoint listens on.
func statusPort(t *testing.T, p *tendProc) int {
	t.Helper()
	var l []netSocket
	waitFor(t, 10*time.Second, "tend to listen", func() bool {
		l = listening(t, p.pid(), socketInodes(t, p.pid()))
		return len(l) == 1
	})
	_, port, _ := strings.Cut(l[0].Local, ":")
	n, err := strconv.ParseUint(port, 16, 16)
	if err != nil {
		t.Fatalf("port of %v: %v", l[0], err)
	}
	return int(n)
}

// TestStressUserDropsPrivileges: with --user the child's real, effective,
// saved and filesystem ids are all the user's, its groups are only the
// user's, and it has no capability left, permitted, effective, inheritable
// or ambient: with a saved uid that is not 0 and no CAP_SETUID, setuid(0)
// is refused, so there is no way back to root.
func TestStressUserDropsPrivileges(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("switching users needs root")
	}
	p := startPID1(t, runOpts{}, "--user", "65534:65534", "/bin/sh", "-c",
		`grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapAmb):' /proc/self/status`)
	p.waitStatus(exitTimeout, 0)
	want := map[string]string{
		"Uid": "65534 65534 65534 65534", "Gid": "65534 65534 65534 65534", "Groups": "65534",
		"CapInh": "0000000000000000", "CapPrm": "0000000000000000", "CapEff": "0000000000000000", "CapAmb": "0000000000000000",
	}
	got := map[string]string{}
	for l := range strings.Lines(p.stdout.String()) {
		k, v, _ := strings.Cut(l, ":")
		got[k] = strings.Join(strings.Fields(v), " ")
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("child's %s = %q; want %q", k, got[k], w)
		}
	}
}

// TestStressProbeIsolated: tend runs with a terminal as its stdio and
// controlling terminal, a listening status socket and a descriptor passed
// by its parent; its --health-cmd probe still has no controlling terminal
// (tty_nr 0 in /proc/self/stat), leads its own session, has /dev/null as
// stdin and stderr, and holds no other descriptor: none of tend's own, and
// not the one tend's parent passed (that one is for the main child).
func TestStressProbeIsolated(t *testing.T) {
	t.Parallel()
	master, slave := openPTY(t)
	go func() { _, _ = io.Copy(io.Discard, master) }()
	dir := t.TempDir()
	out := filepath.Join(dir, "probe")
	passedPath := filepath.Join(dir, "passed-by-the-parent")
	passed, err := os.Create(passedPath)
	if err != nil {
		t.Fatal(err)
	}
	defer passed.Close()
	// ls lists its own descriptors (stdout is the report; the directory
	// it reads is /proc/PID/fd); then the shell's stat line.
	probe := `/bin/sh -c 'exec >"$0.tmp"; ls -l /proc/self/fd; set -- $(cat /proc/$$/stat); echo "pid $1 sid $6 tty $7"; mv "$0.tmp" "$0"' ` + out
	p := startPID1(t, runOpts{TTY: slave, ExtraFiles: []*os.File{passed}},
		"--status-addr", "127.0.0.1:0", "--health-cmd", probe, "--health-interval", "100ms", "--health-timeout", "5s",
		"/bin/sh", "-c", "sleep 1000")
	var b []byte
	waitFor(t, 20*time.Second, "the probe's report", func() bool {
		b, err = os.ReadFile(out)
		return err == nil
	})
	t.Logf("probe report:\n%s", b)
	inherited := inheritedFDs(t, p.pid())
	for l := range strings.Lines(string(b)) {
		f := strings.Fields(l)
		if n := slices.Index(f, "->"); n > 0 && n+1 < len(f) {
			fd, target := f[n-1], f[n+1]
			switch {
			case fd == "1" && strings.HasSuffix(target, "probe.tmp"):
			case (fd == "0" || fd == "2") && target == os.DevNull:
			case strings.HasPrefix(target, "/proc/") && strings.HasSuffix(target, "/fd"): // ls's own
			case target == passedPath || inherited[fd] == target:
				t.Errorf("probe holds fd %s -> %s, which tend's parent passed for the main child", fd, target)
			default:
				t.Errorf("probe holds fd %s -> %s", fd, target)
			}
			continue
		}
		if len(f) == 6 && f[0] == "pid" {
			if f[5] != "0" {
				t.Errorf("probe has a controlling terminal: tty_nr %s", f[5])
			}
			if f[1] != f[3] {
				t.Errorf("probe (pid %s) is not the leader of its session (sid %s)", f[1], f[3])
			}
		}
	}
	p.signal(unix.SIGTERM)
	p.waitStatus(exitTimeout, 128+int(unix.SIGTERM))
}

// inheritedFDs maps each descriptor of pid that is not close-on-exec (so
// not one tend opened: Go opens every file close-on-exec) to its target:
// those tend's parent passed.
func inheritedFDs(t *testing.T, pid int) map[string]string {
	t.Helper()
	m := make(map[string]string)
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fdinfo", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		info, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%s", pid, e.Name()))
		if err != nil {
			continue
		}
		for l := range strings.Lines(string(info)) {
			if v, ok := strings.CutPrefix(l, "flags:"); ok {
				flags, _ := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
				if flags&unix.O_CLOEXEC == 0 {
					m[e.Name()], _ = os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name()))
				}
			}
		}
	}
	return m
}

// request sends raw to the status endpoint and returns the status line of
// the answer ("" if the server closed without one) and how long it took.
func request(t *testing.T, port int, raw string) (string, time.Duration) {
	t.Helper()
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		return "", time.Since(start) // refused before we finished: fine
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), time.Since(start)
}

// TestStressStatusEndpoint: only GET and HEAD are served; other methods get
// 405; a request head over the bound is refused; a client that sends half
// a request (slow loris) is cut off by the read deadline; a flood of idle
// connections neither starves the endpoint for long nor stalls tend's
// loop (a signal is still forwarded meanwhile).
func TestStressStatusEndpoint(t *testing.T) {
	t.Parallel()
	p := startPID1(t, runOpts{}, append([]string{"--status-addr", "127.0.0.1:0"}, helperArgv("trap")...)...)
	p.expectReady("")
	port := statusPort(t, p)
	for _, m := range []string{"GET", "HEAD"} {
		if got, _ := request(t, port, m+" /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.1 200") {
			t.Errorf("%s /healthz: %q; want 200", m, got)
		}
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT", "BREW"} {
		got, _ := request(t, port, m+" /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
		if !strings.HasPrefix(got, "HTTP/1.1 405") {
			t.Errorf("%s /healthz: %q; want 405", m, got)
		}
	}
	// A head far over the bound (a few KB): refused, not served.
	big := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 64<<10) + "\r\n\r\n"
	got, took := request(t, port, big)
	t.Logf("64 KiB request head: %q after %v", got, took.Round(time.Millisecond))
	if strings.HasPrefix(got, "HTTP/1.1 2") {
		t.Errorf("a 64 KiB request head was served: %q", got)
	}
	// Slow loris: half a request head, then nothing.
	var slow []net.Conn
	for range 40 {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
		slow = append(slow, c)
	}
	start := time.Now()
	checkForwards(t, p, unix.SIGUSR1, "")
	c := slow[0]
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, err := c.Read(make([]byte, 512))
	cut := time.Since(start)
	t.Logf("slow loris: connection ended after %v (read %d bytes, %v)", cut.Round(time.Millisecond), n, err)
	if cut > 15*time.Second {
		t.Errorf("a half-sent request kept its connection %v; want it cut by the read deadline", cut)
	}
	// Once the idle connections are cut, the endpoint serves again.
	var ok string
	if !poll(20*time.Second, func() bool {
		ok, _ = request(t, port, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
		return strings.HasPrefix(ok, "HTTP/1.1 200")
	}) {
		t.Errorf("GET /readyz after the flood: %q; want 200", ok)
	}
	checkNoPanic(t, p.stderr.String())
}

//go:build linux

package integration

// --notify and --watchdog: a child that speaks the sd_notify protocol
// through a real socket, with tend as PID 1.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// helperNotify prints "notify pid=P socket=$NOTIFY_SOCKET
// watchdog_usec=$WATCHDOG_USEC watchdog_pid=$WATCHDOG_PID", then runs its
// steps in order, printing a line after each, and then waits until killed:
//
//	wait           wait for SIGUSR1 (tend forwards it)
//	send:MSG       send MSG (newlines allowed) from this process; "sent MSG"
//	spawn:MSG      send MSG from a child process (tend's grandchild); "spawned MSG"
//	ping:D         send WATCHDOG=1 every D from now on; "pinging", and
//	               "pinged 20" after the 20th
//	stop-ping      stop the pings; "stopped pinging"
//
// MSG is printed with its newlines as "|".
func helperNotify(args []string) int {
	usr1 := make(chan os.Signal, 8)
	signal.Notify(usr1, unix.SIGUSR1)
	sock := os.Getenv("NOTIFY_SOCKET")
	fmt.Printf("notify pid=%d socket=%s watchdog_usec=%s watchdog_pid=%s\n", os.Getpid(), sock, os.Getenv("WATCHDOG_USEC"), os.Getenv("WATCHDOG_PID"))
	var stop chan struct{}
	for _, step := range args {
		verb, arg, _ := strings.Cut(step, ":")
		shown := strings.ReplaceAll(arg, "\n", "|")
		switch verb {
		case "wait":
			<-usr1
		case "send":
			if err := notifySend(sock, arg); err != nil {
				fmt.Fprintf(os.Stderr, "%snotify: send %q: %v\n", harnessPrefix, shown, err)
				return 2
			}
			fmt.Println("sent " + shown)
		case "spawn":
			if err := spawnNotifySend(sock, arg); err != nil {
				fmt.Fprintf(os.Stderr, "%snotify: spawn %q: %v\n", harnessPrefix, shown, err)
				return 2
			}
			fmt.Println("spawned " + shown)
		case "ping":
			d, err := time.ParseDuration(arg)
			if err != nil {
				return usageFail("notify ping:DURATION")
			}
			stop = make(chan struct{})
			go pingWatchdog(sock, d, stop)
			fmt.Println("pinging")
		case "stop-ping":
			close(stop)
			fmt.Println("stopped pinging")
		default:
			return usageFail("notify [wait|send:MSG|spawn:MSG|ping:D|stop-ping]...")
		}
	}
	for {
		time.Sleep(time.Hour)
	}
}

// spawnNotifySend starts "notify-send SOCK MSG stay" as a child and waits
// until it has sent: it stays alive (until its process group is stopped),
// so that tend finds it under /proc when it reads the message.
func spawnNotifySend(sock, msg string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "notify-send", sock, msg, "stay")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	b := make([]byte, 5)
	if _, err := io.ReadFull(out, b); err != nil || string(b) != "sent\n" {
		return fmt.Errorf("notify-send said %q, %v", b, err)
	}
	return cmd.Process.Release()
}

// pingWatchdog sends WATCHDOG=1 every d until stop is closed.
func pingWatchdog(sock string, d time.Duration, stop chan struct{}) {
	tick := time.NewTicker(d)
	defer tick.Stop()
	for n := 1; ; n++ {
		if err := notifySend(sock, "WATCHDOG=1"); err != nil {
			fmt.Fprintf(os.Stderr, "%snotify: ping: %v\n", harnessPrefix, err)
		}
		if n == 20 {
			fmt.Println("pinged 20")
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

// helperNotifySend sends args[1] to the unix datagram socket args[0];
// with a third argument "stay" it then prints "sent" and waits until
// killed.
func helperNotifySend(args []string) int {
	if len(args) != 2 && (len(args) != 3 || args[2] != "stay") {
		return usageFail("notify-send PATH MSG [stay]")
	}
	if err := notifySend(args[0], args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "%snotify-send: %v\n", harnessPrefix, err)
		return 2
	}
	if len(args) == 3 {
		fmt.Println("sent")
		for {
			time.Sleep(time.Hour)
		}
	}
	return 0
}

// notifySend sends msg to the datagram socket at path, as sd_notify(3)
// does.
func notifySend(path, msg string) error {
	if path == "" {
		return errors.New("no NOTIFY_SOCKET")
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(msg))
	return err
}

// notifyLine is the first line of the notify helper.
type notifyLine struct {
	pid                       int
	socket, usec, watchdogPid string
}

// expectNotifyLine reads the notify helper's first line, skipping lines
// in skip before it.
func expectNotifyLine(t *testing.T, p *tendProc, skip ...string) notifyLine {
	t.Helper()
	got, err := p.nextLine()
	for err == nil && slices.Contains(skip, got) {
		got, err = p.nextLine()
	}
	if err != nil {
		t.Fatalf("waiting for the notify helper's first line: %v\nstdout:\n%s\nstderr:\n%s", err, p.stdout, p.stderr)
	}
	if !strings.HasPrefix(got, "notify pid=") {
		t.Fatalf("stdout line = %q; want the notify helper's first line\nstderr:\n%s", got, p.stderr)
	}
	var l notifyLine
	f := map[string]string{}
	for _, kv := range strings.Fields(got)[1:] {
		k, v, _ := strings.Cut(kv, "=")
		f[k] = v
	}
	l.pid, _ = strconv.Atoi(f["pid"])
	l.socket, l.usec, l.watchdogPid = f["socket"], f["watchdog_usec"], f["watchdog_pid"]
	return l
}

// notifyStatus is the status JSON with --notify's fields.
type notifyStatus struct {
	State        string `json:"state"`
	Restarts     int    `json:"restarts"`
	Probe        string `json:"last_probe"`
	Live         bool   `json:"live"`
	Ready        bool   `json:"ready"`
	Notify       string `json:"notify"`
	NotifyStatus string `json:"notify_status"`
}

// notifyLook GETs /healthz and /readyz.
func notifyLook(addr string) (healthz, readyz int, st notifyStatus, err error) {
	get := func(path string) (int, notifyStatus, error) {
		var st notifyStatus
		resp, err := supClient.Get("http://" + addr + path)
		if err != nil {
			return 0, st, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if err == nil {
			err = json.Unmarshal(b, &st)
		}
		return resp.StatusCode, st, err
	}
	if healthz, _, err = get("/healthz"); err != nil {
		return
	}
	readyz, st, err = get("/readyz")
	return
}

// notifyWait polls the endpoints until cond holds, for up to supTimeout.
func notifyWait(t *testing.T, p *tendProc, addr, what string, cond func(healthz, readyz int, st notifyStatus) bool) notifyStatus {
	t.Helper()
	var last string
	var st notifyStatus
	ok := poll(supTimeout, func() bool {
		h, r, s, err := notifyLook(addr)
		st = s
		last = fmt.Sprintf("healthz=%d readyz=%d %+v err=%v", h, r, s, err)
		return err == nil && cond(h, r, s)
	})
	if !ok {
		t.Fatalf("timed out after %v waiting for %s; last: %s\nstdout:\n%s\nstderr:\n%s", supTimeout, what, last, p.stdout, p.stderr)
	}
	return st
}

// upstreamSocket is a socket the test listens on, given to tend as its
// NOTIFY_SOCKET (as podman --sdnotify=container or systemd would).
type upstreamSocket struct {
	path string
	conn *net.UnixConn
}

func newUpstreamSocket(t *testing.T) *upstreamSocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "upstream.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &upstreamSocket{path: path, conn: conn}
}

// next returns the next datagram within d, or "" when none came.
func (u *upstreamSocket) next(d time.Duration) string {
	buf := make([]byte, 4096)
	_ = u.conn.SetReadDeadline(time.Now().Add(d))
	n, err := u.conn.Read(buf)
	if err != nil {
		return ""
	}
	return string(buf[:n])
}

// none fails the test if a datagram is already queued. Callers reach a
// point where tend has published what it would have sent before.
func (u *upstreamSocket) none(t *testing.T, when string) {
	t.Helper()
	if got := u.next(time.Millisecond); got != "" {
		t.Fatalf("%s: the upstream socket got %q; want nothing yet", when, got)
	}
}

// expect fails the test unless the next datagram, within lineTimeout, is
// want.
func (u *upstreamSocket) expect(t *testing.T, p *tendProc, want string) {
	t.Helper()
	if got := u.next(lineTimeout); got != want {
		t.Fatalf("the upstream socket got %q; want %q\nstderr:\n%s", got, want, p.stderr)
	}
}

// TestNotifyReadiness: with --notify, /readyz is 503 until a descendant
// of tend says READY=1 (here a grandchild), STATUS= shows in the status
// JSON, STOPPING=1 makes /readyz 503 again while /healthz stays 200, and
// tend removes the socket's directory when it exits.
func TestNotifyReadiness(t *testing.T) {
	t.Parallel()
	addr := supFreeAddr(t)
	p := startPID1(t, runOpts{}, append([]string{"--status-addr", addr, "--notify", "--"},
		helperArgv("notify", "wait", "spawn:READY=1", "send:STATUS=serving", "wait", "send:STOPPING=1")...)...)
	l := expectNotifyLine(t, p)
	if l.socket == "" || l.usec != "" || l.watchdogPid != "" {
		t.Fatalf("the child's environment: %+v; want NOTIFY_SOCKET and no WATCHDOG_ variables", l)
	}
	fi, err := os.Lstat(l.socket)
	if err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("NOTIFY_SOCKET %s: %v, %v; want a socket", l.socket, fi, err)
	}
	dir := filepath.Dir(l.socket)
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("the socket's directory %s: %v, %v; want mode 0700", dir, fi, err)
	}
	st := notifyWait(t, p, addr, "healthz 200, readyz 503 before READY=1", func(h, r int, st notifyStatus) bool {
		return h == 200 && r == 503 && st.State == "running"
	})
	if st.Notify != "waiting" {
		t.Errorf("before READY=1: notify = %q; want waiting", st.Notify)
	}

	p.signal(unix.SIGUSR1)
	p.expectLine("spawned READY=1")
	p.expectLine("sent STATUS=serving")
	notifyWait(t, p, addr, "readyz 200 with STATUS=serving", func(h, r int, st notifyStatus) bool {
		return h == 200 && r == 200 && st.Notify == "ready" && st.NotifyStatus == "serving"
	})

	p.signal(unix.SIGUSR1)
	p.expectLine("sent STOPPING=1")
	notifyWait(t, p, addr, "readyz 503 after STOPPING=1, healthz 200", func(h, r int, st notifyStatus) bool {
		return h == 200 && r == 503 && st.Notify == "stopping"
	})

	p.signal(unix.SIGTERM)
	p.waitStatus(supTimeout, 143)
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after tend exited, stat %s: %v; want it removed", dir, err)
	}
}

// TestNotifyStrangersIgnored: READY=1 from processes that are not tend's
// descendants is dropped: from the test itself (outside tend's PID
// namespace: the kernel gives tend pid 0) and from a process that joined
// tend's namespace with nsenter (like docker exec: a pid there, but its
// parent is outside). The child's own STATUS=, sent after them, shows that
// tend read them first.
func TestNotifyStrangersIgnored(t *testing.T) {
	t.Parallel()
	addr := supFreeAddr(t)
	p := startPID1(t, runOpts{}, append([]string{"-v", "--status-addr", addr, "--notify", "--"},
		helperArgv("notify", "wait", "send:STATUS=after")...)...)
	l := expectNotifyLine(t, p)

	if err := notifySend(l.socket, "READY=1\nSTATUS=from outside"); err != nil {
		t.Fatalf("send from the test: %v", err)
	}
	nsenter, err := exec.LookPath("nsenter")
	if err == nil {
		cmd := exec.Command(nsenter, append(p.nsenterArgs(), "--", testBin, "notify-send", l.socket, "READY=1\nSTATUS=from nsenter")...)
		cmd.Env = append(tendEnv(nil), roleEnv+"=helper")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("nsenter notify-send: %v\n%s", err, out)
		}
	} else {
		t.Log("no nsenter (util-linux): only the test's own datagram is checked")
	}

	p.signal(unix.SIGUSR1)
	p.expectLine("sent STATUS=after")
	st := notifyWait(t, p, addr, "the child's STATUS=after", func(h, r int, st notifyStatus) bool {
		return st.NotifyStatus == "after"
	})
	if st.Ready || st.Notify != "waiting" {
		t.Errorf("after READY=1 from strangers: %+v; want not ready, notify waiting", st)
	}
	stderr := p.stderr.String()
	for _, want := range []string{"no pid in tend's namespace", "not a descendant of tend"} {
		if want == "not a descendant of tend" && nsenter == "" {
			continue
		}
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr has no %q drop line:\n%s", want, stderr)
		}
	}
	p.signal(unix.SIGTERM)
	p.waitStatus(supTimeout, 143)
}

// TestNotifyWatchdog: with --watchdog the child gets WATCHDOG_USEC and
// WATCHDOG_PID (its own pid); while it pings, tend keeps it; once it
// stops, each missed deadline is a failed probe and --health-retries
// of them make it unhealthy: --on-unhealthy exit stops it and exits 69.
// No probe is configured: the watchdog is one.
func TestNotifyWatchdog(t *testing.T) {
	t.Parallel()
	addr := supFreeAddr(t)
	p := startPID1(t, runOpts{}, append([]string{"--status-addr", addr, "--notify", "--watchdog", "300ms",
		"--health-retries", "2", "--on-unhealthy", "exit", "--"},
		helperArgv("notify", "ping:50ms", "wait", "stop-ping")...)...)
	l := expectNotifyLine(t, p)
	if l.usec != "300000" || l.watchdogPid != strconv.Itoa(l.pid) {
		t.Fatalf("the child's environment: %+v; want WATCHDOG_USEC=300000 and WATCHDOG_PID=%d", l, l.pid)
	}
	p.expectLine("pinging")
	p.expectLine("pinged 20") // 1s: more than two deadlines
	if h, _, st, err := notifyLook(addr); err != nil || h != 200 || !st.Live || st.State != "running" {
		t.Fatalf("after 20 pings: healthz %d %+v, %v; want 200, live, running\nstderr:\n%s", h, st, err, p.stderr)
	}
	p.signal(unix.SIGUSR1)
	p.expectLine("stopped pinging")
	p.waitStatus(supTimeout, 69)
	stderr := p.stderr.String()
	for _, want := range []string{"watchdog missed", "unhealthy", "no WATCHDOG=1 in time"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr has no %q:\n%s", want, stderr)
		}
	}
}

// TestNotifyWatchdogTriggerRestart: WATCHDOG=trigger makes the child
// unhealthy at once (the --watchdog of 1m is far off); --on-unhealthy
// restart restarts it, the new run is not ready until it says READY=1
// itself, and a second trigger exhausts --max-restarts 1.
func TestNotifyWatchdogTriggerRestart(t *testing.T) {
	t.Parallel()
	addr := supFreeAddr(t)
	p := startPID1(t, runOpts{}, append([]string{"--status-addr", addr, "--notify", "--watchdog", "1m",
		"--restart", "always", "--on-unhealthy", "restart", "--max-restarts", "1", "--backoff-min", "10ms", "--"},
		helperArgv("notify", "wait", "send:READY=1", "wait", "send:WATCHDOG=trigger")...)...)
	first := expectNotifyLine(t, p)
	p.signal(unix.SIGUSR1)
	p.expectLine("sent READY=1")
	notifyWait(t, p, addr, "readyz 200 after READY=1", func(h, r int, st notifyStatus) bool { return r == 200 })
	p.signal(unix.SIGUSR1)
	// tend may stop the child before it prints that it sent the trigger.
	second := expectNotifyLine(t, p, "sent WATCHDOG=trigger")
	if second.pid == first.pid || second.socket != first.socket {
		t.Fatalf("after the restart: %+v; want a new pid and the same socket as %+v", second, first)
	}
	st := notifyWait(t, p, addr, "the restarted child, not ready", func(h, r int, st notifyStatus) bool {
		return st.Restarts == 1 && st.State == "running"
	})
	if st.Ready || st.Notify != "waiting" {
		t.Fatalf("the restarted child before its READY=1: %+v; want not ready, notify waiting", st)
	}
	p.signal(unix.SIGUSR1)
	p.expectLine("sent READY=1")
	notifyWait(t, p, addr, "readyz 200 after the second READY=1", func(h, r int, st notifyStatus) bool { return r == 200 })
	p.signal(unix.SIGUSR1)
	p.waitStatus(supTimeout, 143)
	stderr := p.stderr.String()
	for _, want := range []string{"the child sent WATCHDOG=trigger", "gave up"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr has no %q:\n%s", want, stderr)
		}
	}
}

// TestNotifyUpstream: tend given a NOTIFY_SOCKET (as by podman
// --sdnotify=container) gives its child a socket of its own, tells its
// own READY=1 only after the child said READY=1, and STOPPING=1 when it
// stops.
func TestNotifyUpstream(t *testing.T) {
	t.Parallel()
	up := newUpstreamSocket(t)
	addr := supFreeAddr(t)
	p := startPID1(t, runOpts{Env: []string{"NOTIFY_SOCKET=" + up.path}}, append([]string{"--status-addr", addr, "--notify", "--"},
		helperArgv("notify", "wait", "send:READY=1")...)...)
	l := expectNotifyLine(t, p)
	if l.socket == up.path || l.socket == "" {
		t.Fatalf("the child's NOTIFY_SOCKET = %q; want tend's own, not %q", l.socket, up.path)
	}
	notifyWait(t, p, addr, "running, not ready", func(h, r int, st notifyStatus) bool {
		return h == 200 && r == 503 && st.Notify == "waiting"
	})
	up.none(t, "before the child's READY=1")
	p.signal(unix.SIGUSR1)
	p.expectLine("sent READY=1")
	up.expect(t, p, "READY=1")
	p.signal(unix.SIGTERM)
	up.expect(t, p, "STOPPING=1")
	p.waitStatus(supTimeout, 143)
	up.none(t, "after tend exited")
}

// TestNotifyWithProbe: with --notify and a health probe, the child is
// ready (/readyz 200, READY=1 upstream) only once both said so: READY=1
// and a passing probe, in either order.
func TestNotifyWithProbe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		readyFirst bool
	}{
		{name: "probe passes first"},
		{name: "READY=1 first", readyFirst: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newSupProbeServer(t, supOK)
			steps := []string{"wait", "send:READY=1"}
			if tt.readyFirst {
				srv.mode.Store(supFail)
				steps = steps[1:]
			}
			up := newUpstreamSocket(t)
			addr := supFreeAddr(t)
			p := startPID1(t, runOpts{Env: []string{"NOTIFY_SOCKET=" + up.path}}, append([]string{"--status-addr", addr, "--notify",
				"--health-http", srv.URL + "/", "--health-interval", "100ms", "--health-retries", "1000", "--"},
				helperArgv("notify", steps...)...)...)
			expectNotifyLine(t, p)
			if tt.readyFirst {
				p.expectLine("sent READY=1")
				notifyWait(t, p, addr, "READY=1 and a failed probe", func(h, r int, st notifyStatus) bool {
					return st.Notify == "ready" && strings.HasPrefix(st.Probe, "failed")
				})
			} else {
				notifyWait(t, p, addr, "a passed probe", func(h, r int, st notifyStatus) bool {
					return st.Probe == "ok"
				})
			}
			if _, r, st, err := notifyLook(addr); err != nil || r != 503 {
				t.Fatalf("one of the two: readyz %d %+v, %v; want 503", r, st, err)
			}
			up.none(t, "with only one of READY=1 and a passed probe")
			if tt.readyFirst {
				srv.mode.Store(supOK)
			} else {
				p.signal(unix.SIGUSR1)
				p.expectLine("sent READY=1")
			}
			notifyWait(t, p, addr, "readyz 200 with both", func(h, r int, st notifyStatus) bool { return r == 200 })
			up.expect(t, p, "READY=1")
			p.signal(unix.SIGTERM)
			p.waitStatus(supTimeout, 143)
		})
	}
}

// TestNotifyUser: a child run as another user (--user 65534) can reach the
// socket: the directory is 0711 and the socket is the child's.
func TestNotifyUser(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the child as another user")
	}
	addr := supFreeAddr(t)
	const script = `use IO::Socket::UNIX; print "socket=$ENV{NOTIFY_SOCKET}\n"; STDOUT->flush;
IO::Socket::UNIX->new(Type => SOCK_DGRAM, Peer => $ENV{NOTIFY_SOCKET})->send("READY=1") or die "send: $!"; sleep 3600`
	p := startPID1(t, runOpts{}, "--status-addr", addr, "--notify", "--user", "65534:65534", "--", "/usr/bin/perl", "-e", script)
	line, err := p.nextLine()
	if err != nil {
		t.Fatalf("waiting for the child's line: %v\nstderr:\n%s", err, p.stderr)
	}
	sock := strings.TrimPrefix(line, "socket=")
	notifyWait(t, p, addr, "readyz 200 after READY=1 from user 65534", func(h, r int, st notifyStatus) bool { return r == 200 })
	fi, err := os.Stat(filepath.Dir(sock))
	if err != nil || fi.Mode().Perm() != 0o711 {
		t.Errorf("the socket's directory: %v, %v; want mode 0711", fi, err)
	}
	var st unix.Stat_t
	if err := unix.Stat(sock, &st); err != nil || st.Uid != 65534 || st.Mode&0o777 != 0o600 {
		t.Errorf("the socket: uid %d mode %o, %v; want uid 65534, mode 600", st.Uid, st.Mode&0o777, err)
	}
	p.signal(unix.SIGTERM)
	p.waitStatus(supTimeout, 143)
}

// TestNotifyProbeEnvironment: a --health-cmd probe gets the notify socket
// but not the watchdog's variables, which are the main child's: the probe
// passes only if WATCHDOG_USEC and WATCHDOG_PID are unset, and /readyz
// needs a passed probe and READY=1.
func TestNotifyProbeEnvironment(t *testing.T) {
	t.Parallel()
	addr := supFreeAddr(t)
	p := startPID1(t, runOpts{}, append([]string{"--status-addr", addr, "--notify", "--watchdog", "1m",
		"--health-cmd", `/bin/sh -c 'test -z "$WATCHDOG_USEC$WATCHDOG_PID" && test -n "$NOTIFY_SOCKET"'`, "--health-interval", "100ms", "--"},
		helperArgv("notify", "send:READY=1")...)...)
	if l := expectNotifyLine(t, p); l.usec != "60000000" {
		t.Fatalf("the child's environment: %+v; want WATCHDOG_USEC=60000000", l)
	}
	p.expectLine("sent READY=1")
	notifyWait(t, p, addr, "readyz 200: READY=1 and a passed probe", func(h, r int, st notifyStatus) bool {
		return r == 200 && st.Probe == "ok"
	})
	p.signal(unix.SIGTERM)
	p.waitStatus(supTimeout, 143)
}

// TestNotifyStopDelay: --notify with --stop-delay. The first SIGTERM
// begins the drain: the NOTIFY_SOCKET tend was given hears STOPPING=1 at
// once, not at the end of the delay, and the status says "draining" with
// the notify state "stopping" while the child still runs; a second SIGTERM
// then reaches the child.
func TestNotifyStopDelay(t *testing.T) {
	t.Parallel()
	up := newUpstreamSocket(t)
	addr := supFreeAddr(t)
	p := startPID1(t, runOpts{Env: []string{"NOTIFY_SOCKET=" + up.path}}, append([]string{"--status-addr", addr, "--notify",
		"--stop-delay", "30s", "--grace", "40s", "--"}, helperArgv("notify", "send:READY=1")...)...)
	expectNotifyLine(t, p)
	p.expectLine("sent READY=1")
	up.expect(t, p, "READY=1")
	p.signal(unix.SIGTERM)
	began := time.Now()
	up.expect(t, p, "STOPPING=1")
	if waited := time.Since(began); waited > 10*time.Second {
		t.Fatalf("STOPPING=1 came %v after the SIGTERM; want it when the 30s drain begins", waited)
	}
	notifyWait(t, p, addr, "draining, not ready, notify stopping", func(h, r int, st notifyStatus) bool {
		return h == 200 && r == 503 && st.State == "draining" && st.Notify == "stopping"
	})
	p.signal(unix.SIGTERM) // the second one is forwarded at once
	p.waitStatus(supTimeout, 143)
	up.none(t, "after tend exited")
}

// TestNotifyMainPIDIgnored: MAINPID= is ignored with a log line: tend
// keeps watching the process it started, and the READY=1 of the same
// datagram still counts.
func TestNotifyMainPIDIgnored(t *testing.T) {
	t.Parallel()
	addr := supFreeAddr(t)
	p := startPID1(t, runOpts{}, append([]string{"--status-addr", addr, "--notify", "--"},
		helperArgv("notify", "send:MAINPID=1\nREADY=1")...)...)
	expectNotifyLine(t, p)
	p.expectLine("sent MAINPID=1|READY=1")
	waitFor(t, supTimeout, "tend's line saying MAINPID= is ignored", func() bool {
		return strings.Contains(p.stderr.String(), "MAINPID ignored") && strings.Contains(p.stderr.String(), "mainpid=1")
	})
	notifyWait(t, p, addr, "readyz 200 after READY=1", func(h, r int, st notifyStatus) bool { return r == 200 && st.Notify == "ready" })
	p.signal(unix.SIGTERM)
	p.waitStatus(supTimeout, 143)
}

//go:build linux

package integration

// Supervision (issue 3): restarts with backoff, the reset of the attempt
// count after a long run, SIGTERM during a backoff, leftovers stopped
// between runs, --deadline, the three probe kinds against servers the test
// runs on 127.0.0.1 (tend's namespace is a new PID and mount namespace but
// shares the network namespace), the start period, unhealthy → 69 or a
// restart, the reaping of --health-cmd processes and the status endpoint
// through each state. tend runs as PID 1 of a namespace in every test.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	for name, h := range map[string]func([]string) int{
		"sup-record":   helperSupRecord,
		"sup-phases":   helperSupPhases,
		"sup-leftover": helperSupLeftover,
		"sup-orphaner": helperSupOrphaner,
		"sup-middle":   helperSupMiddle,
	} {
		if _, dup := helpers[name]; dup {
			panic("helper " + name + " registered twice")
		}
		helpers[name] = h
	}
}

// helperSupRecord: FILE STATUS|hang: appends "PID UNIXNANO" to FILE, then
// exits STATUS, or with hang waits until killed (SIGTERM ends it: 143).
func helperSupRecord(args []string) int {
	if len(args) != 2 {
		return usageFail("sup-record FILE STATUS|hang")
	}
	if err := supAppend(args[0], fmt.Sprintf("%d %d", os.Getpid(), time.Now().UnixNano())); err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"sup-record: %v\n", err)
		return 2
	}
	if args[1] == "hang" {
		for {
			time.Sleep(time.Hour)
		}
	}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		return usageFail("sup-record FILE STATUS|hang")
	}
	return n
}

// helperSupPhases: FILE LONGRUNS LONG: appends a line to FILE; the first
// LONGRUNS runs (counted by FILE's lines) then sleep LONG (the workload),
// the later ones do not. Every run exits 1.
func helperSupPhases(args []string) int {
	if len(args) != 3 {
		return usageFail("sup-phases FILE LONGRUNS LONG")
	}
	longRuns, err1 := strconv.Atoi(args[1])
	long, err2 := time.ParseDuration(args[2])
	if err1 != nil || err2 != nil {
		return usageFail("sup-phases FILE LONGRUNS LONG")
	}
	prev, _ := supLines(args[0])
	if err := supAppend(args[0], strconv.Itoa(os.Getpid())); err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"sup-phases: %v\n", err)
		return 2
	}
	if len(prev) < longRuns {
		time.Sleep(long)
	}
	return 1
}

// helperSupLeftover: FILE: the first run (FILE absent) starts a grandchild
// that ignores SIGTERM (labelled "gc", ready before we go on), writes its
// pid to FILE and exits 1, leaving it behind. A later run prints
// "previous gc PID gone" if /proc/PID does not exist, else "previous gc
// PID left STATE", and exits 1.
func helperSupLeftover(args []string) int {
	if len(args) != 1 {
		return usageFail("sup-leftover FILE")
	}
	if b, err := os.ReadFile(args[0]); err == nil {
		pid := strings.TrimSpace(string(b))
		if st, err := readStat("/proc/" + pid + "/stat"); err == nil {
			fmt.Printf("previous gc %s left %c\n", pid, st.State)
		} else if _, err := os.Stat("/proc/" + pid); err == nil {
			fmt.Printf("previous gc %s left ?\n", pid)
		} else {
			fmt.Printf("previous gc %s gone\n", pid)
		}
		return 1
	}
	pid, err := spawnTrap("gc,ignore-term")
	if err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"sup-leftover: %v\n", err)
		return 2
	}
	if err := os.WriteFile(args[0], []byte(strconv.Itoa(pid)), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"sup-leftover: %v\n", err)
		return 2
	}
	return 1
}

// helperSupOrphaner: [TRAP FLAGS]: runs sup-middle, which leaves an
// orphan that ignores SIGTERM (labelled "gc", reparented to tend), then
// runs trap with SIGTERM ignored and FLAGS. It ignores SIGTERM from the
// start, so that a deadline that comes before it is ready (a slow -race
// start-up) finds it ignoring SIGTERM all the same.
func helperSupOrphaner(args []string) int {
	signal.Ignore(unix.SIGTERM)
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"sup-orphaner: %v\n", err)
		return 2
	}
	cmd := exec.Command(exe, "sup-middle")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"sup-orphaner: sup-middle: %v\n", err)
		return 2
	}
	return helperTrap(append([]string{"-ignore", "TERM"}, args...))
}

// helperSupMiddle starts a trap child that ignores SIGTERM (labelled
// "gc"), waits until it is ready and exits 0, so that the child becomes an
// orphan only tend can reap. It ignores SIGTERM, like sup-orphaner.
func helperSupMiddle([]string) int {
	signal.Ignore(unix.SIGTERM)
	if _, err := spawnTrap("gc,ignore-term"); err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"sup-middle: %v\n", err)
		return 2
	}
	return 0
}

// supAppend appends line and a newline to the file at path, in one write.
func supAppend(path, line string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// supLines returns the complete lines of the file at path (none if it does
// not exist).
func supLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, nil
}

// supRuns reads the "PID UNIXNANO" lines sup-record wrote to path.
func supRuns(t *testing.T, path string) []time.Time {
	t.Helper()
	lines, err := supLines(path)
	if err != nil {
		t.Fatal(err)
	}
	var ts []time.Time
	for _, l := range lines {
		_, ns, ok := strings.Cut(l, " ")
		n, err := strconv.ParseInt(ns, 10, 64)
		if !ok || err != nil {
			t.Fatalf("%s: malformed line %q", path, l)
		}
		ts = append(ts, time.Unix(0, n))
	}
	return ts
}

// supTimeout bounds every tend run of this file whose normal length is a
// second or two.
const supTimeout = 15 * time.Second

// supCount is the number of tend's log lines that start with "tend: "+msg.
func supCount(p *tendProc, msg string) int {
	n := 0
	for _, l := range tendLines(p.stderr.String()) {
		if strings.HasPrefix(l, "tend: "+msg) {
			n++
		}
	}
	return n
}

// supHasLine reports whether tend logged the line want exactly.
func supHasLine(p *tendProc, want string) bool {
	for _, l := range tendLines(p.stderr.String()) {
		if l == want {
			return true
		}
	}
	return false
}

// supWantLine fails the test unless tend logged the line want exactly.
func supWantLine(t *testing.T, p *tendProc, want string) {
	t.Helper()
	if !supHasLine(p, want) {
		t.Errorf("tend did not log %q\nstderr:\n%s", want, p.stderr)
	}
}

// supWaitStderr waits up to d for tend's stderr to contain s.
func supWaitStderr(t *testing.T, p *tendProc, d time.Duration, s string) {
	t.Helper()
	if !poll(d, func() bool { return strings.Contains(p.stderr.String(), s) }) {
		t.Fatalf("timed out after %v waiting for %q on tend's stderr\nstderr:\n%s", d, s, p.stderr)
	}
}

// TestRestartOnFailureBackoff: a command that exits 1 at once, with
// --restart=on-failure --max-restarts=3 --backoff-min=100ms, runs exactly
// 4 times, 100ms, 200ms and 400ms apart (each gap at least 1.5 times the
// one before), then tend gives up with status 1.
//
// Not parallel: the gaps are measured by the child, and the ratio checks
// need start-up latencies well below 50ms, which a machine busy with the
// other tests of the package may not give.
func TestRestartOnFailureBackoff(t *testing.T) {
	file := filepath.Join(t.TempDir(), "runs")
	p := startPID1(t, runOpts{}, append([]string{"--restart=on-failure", "--max-restarts=3", "--backoff-min=100ms"},
		helperArgv("sup-record", file, "1")...)...)
	p.waitStatus(supTimeout, 1)
	runs := supRuns(t, file)
	if len(runs) != 4 {
		t.Fatalf("the command ran %d times; want 4\nstderr:\n%s", len(runs), p.stderr)
	}
	gaps := make([]time.Duration, 3)
	for i := range gaps {
		gaps[i] = runs[i+1].Sub(runs[i])
	}
	t.Logf("gaps between runs: %v", gaps)
	if gaps[0] < 100*time.Millisecond {
		t.Errorf("gap between runs 1 and 2 = %v; want at least the 100ms backoff", gaps[0])
	}
	for i := 1; i < len(gaps); i++ {
		if float64(gaps[i]) <= 1.5*float64(gaps[i-1]) {
			t.Errorf("gap %d = %v, gap %d = %v; want the gaps to double (ratio above 1.5)", i, gaps[i-1], i+1, gaps[i])
		}
	}
	for i, d := range []string{"100ms", "200ms", "400ms"} {
		supWantLine(t, p, fmt.Sprintf("tend: restarting delay=%s attempt=%d/3", d, i+1))
	}
	supWantLine(t, p, "tend: warning: gave up restarts=3 status=1")
	if n := supCount(p, "started "); n != 4 {
		t.Errorf("tend logged %d started lines; want 4\nstderr:\n%s", n, p.stderr)
	}
}

// TestRestartAlways: --restart=always restarts after exit 0 too: with
// --max-restarts=2 the command runs 3 times and tend exits 0.
func TestRestartAlways(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "runs")
	p := startPID1(t, runOpts{}, append([]string{"--restart=always", "--max-restarts=2", "--backoff-min=20ms"},
		helperArgv("sup-record", file, "0")...)...)
	p.waitStatus(supTimeout, 0)
	if runs := supRuns(t, file); len(runs) != 3 {
		t.Errorf("the command ran %d times; want 3\nstderr:\n%s", len(runs), p.stderr)
	}
	supWantLine(t, p, "tend: warning: gave up restarts=2 status=0")
}

// TestRestartNoAfterSuccess: --restart=on-failure does not restart after
// exit 0 (the control for TestRestartAlways).
func TestRestartNoAfterSuccess(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "runs")
	p := startPID1(t, runOpts{}, append([]string{"--restart=on-failure", "--max-restarts=2", "--backoff-min=20ms"},
		helperArgv("sup-record", file, "0")...)...)
	p.waitStatus(supTimeout, 0)
	if runs := supRuns(t, file); len(runs) != 1 {
		t.Errorf("the command ran %d times; want 1\nstderr:\n%s", len(runs), p.stderr)
	}
}

// TestRestartResetAfterLongRun: a run longer than --backoff-max and than
// 1s resets the attempt count. With --max-restarts=1 and
// --backoff-max=200ms, runs 1 and 2 last 1.3s and exit 1, run 3 fails at
// once: run 2 is restart attempt 1 again (reset), run 3's exit is attempt
// 2 > 1, so tend gives up after 3 runs. Without the reset it would give up
// after 2.
func TestRestartResetAfterLongRun(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "runs")
	p := startPID1(t, runOpts{}, append([]string{"--restart=on-failure", "--max-restarts=1",
		"--backoff-min=20ms", "--backoff-max=200ms"}, helperArgv("sup-phases", file, "2", "1300ms")...)...)
	p.waitStatus(supTimeout, 1)
	lines, err := supLines(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Errorf("the command ran %d times; want 3 (the count resets after each 1.3s run)\nstderr:\n%s", len(lines), p.stderr)
	}
	if n := supCount(p, "restarting delay=20ms attempt=1/1"); n != 2 {
		t.Errorf("tend logged %d restarts as attempt 1/1 after a 20ms delay; want 2\nstderr:\n%s", n, p.stderr)
	}
	supWantLine(t, p, "tend: warning: gave up restarts=1 status=1")
}

// TestMaxRestartsZeroBackoff: --max-restarts holds with --backoff-min 0
// --backoff-max 0 (issue 12: every run outlasted a zero --backoff-max and
// reset the count, so a command that failed at once was started hundreds
// of times a second). With --max-restarts=3 it runs exactly 4 times.
func TestMaxRestartsZeroBackoff(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "runs")
	p := startPID1(t, runOpts{}, append([]string{"--restart=always", "--max-restarts=3",
		"--backoff-min=0", "--backoff-max=0"}, helperArgv("sup-record", file, "1")...)...)
	p.waitStatus(supTimeout, 1)
	if runs := supRuns(t, file); len(runs) != 4 {
		t.Errorf("the command ran %d times; want 4\nstderr:\n%s", len(runs), p.stderr)
	}
	supWantLine(t, p, "tend: warning: gave up restarts=3 status=1")
}

// TestSignalDuringBackoff: SIGTERM during a 30s backoff makes tend exit at
// once with the last status, and the command is not started again.
func TestSignalDuringBackoff(t *testing.T) {
	t.Parallel()
	p := startPID1(t, runOpts{}, append([]string{"--restart=on-failure", "--backoff-min=30s"}, helperArgv("exit", "3")...)...)
	supWaitStderr(t, p, 10*time.Second, "tend: restarting delay=30s attempt=1/10")
	sent := time.Now()
	p.signal(unix.SIGTERM)
	p.waitStatus(10*time.Second, 3)
	if d := time.Since(sent); d >= 10*time.Second {
		t.Errorf("tend exited %v after SIGTERM during the backoff; want at once", d)
	}
	if n := supCount(p, "started "); n != 1 {
		t.Errorf("tend logged %d started lines; want 1\nstderr:\n%s", n, p.stderr)
	}
}

// TestRestartStopsLeftovers: the first run leaves a grandchild that
// ignores SIGTERM and exits 1; tend SIGKILLs it at --grace and reaps it
// before the second run starts, which finds /proc/PID gone.
func TestRestartStopsLeftovers(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "gc")
	p := startPID1(t, runOpts{}, append([]string{"--restart=on-failure", "--max-restarts=1", "--grace=300ms", "--backoff-min=10ms"},
		helperArgv("sup-leftover", file)...)...)
	gc := p.expectReady("gc")
	p.expectLinesSkipping(shutdownNoise("gc"), fmt.Sprintf("previous gc %d gone", gc))
	p.waitStatus(supTimeout, 1)
	supWantLine(t, p, "tend: grace period over; killing what is left grace=300ms")
	if n := supCount(p, "started "); n != 2 {
		t.Errorf("tend logged %d started lines; want 2\nstderr:\n%s", n, p.stderr)
	}
}

// TestDeadline: --deadline=1s with a child and a descendant that both
// ignore SIGTERM: at the deadline tend stops them (SIGTERM, SIGKILL at the
// 300ms grace), reaps both and exits 124, not before 1.3s. The descendant
// is an orphan (its parent exited), so only tend can reap it, and tend's
// "reaped" line for it shows that tend waited for it before exiting rather
// than leaving it to the kernel's teardown of the namespace.
func TestDeadline(t *testing.T) {
	t.Parallel()
	begin := time.Now()
	p := startPID1(t, runOpts{}, append([]string{"-v", "--deadline=1s", "--grace=300ms"},
		helperArgv("sup-orphaner")...)...)
	gc := p.expectReady("gc")
	// On a loaded machine the deadline may come before the main child says
	// it is ready: the gc's report of the stop signals may come first.
	main := 0
	for main == 0 {
		line, err := p.nextLine()
		if err != nil {
			t.Fatalf("waiting for the main child to be ready: %v\nstdout:\n%s\nstderr:\n%s", err, p.stdout, p.stderr)
		}
		if pid, ok := parseReady(line, ""); ok {
			main = pid
		} else if !strings.HasPrefix(line, "gc SIG") {
			t.Fatalf("stdout line = %q; want the main child's ready line\nstderr:\n%s", line, p.stderr)
		}
	}
	p.waitStatus(supTimeout, 124)
	if d := time.Since(begin); d < 1300*time.Millisecond {
		t.Errorf("tend exited %v after its start; want at least the 1s deadline plus the 300ms grace", d)
	}
	supWantLine(t, p, "tend: warning: deadline exceeded deadline=1s")
	supWantLine(t, p, fmt.Sprintf("tend: exited pid=%d status=137", main))
	supWantLine(t, p, fmt.Sprintf("tend: reaped pid=%d status=137", gc))
}

// supStatus is the JSON body of tend's status endpoint.
type supStatus struct {
	State    string `json:"state"`
	PID      int    `json:"pid"`
	Restarts int    `json:"restarts"`
	LastExit *int   `json:"last_exit"`
	Probe    string `json:"last_probe"`
	// ProbeTime is when the last probe finished.
	ProbeTime time.Time `json:"last_probe_time"`
	Live      bool      `json:"live"`
	Ready     bool      `json:"ready"`
}

// supClient talks to tend's status server and to nothing else.
var supClient = &http.Client{
	Timeout:   time.Second,
	Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
}

// supGet GETs http://addr/path and returns the status code and the body.
func supGet(addr, path string) (int, supStatus, error) {
	var st supStatus
	resp, err := supClient.Get("http://" + addr + path)
	if err != nil {
		return 0, st, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return 0, st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return 0, st, fmt.Errorf("GET %s: body %q: %w", path, b, err)
	}
	return resp.StatusCode, st, nil
}

// supEndpoints is one look at both endpoints.
type supEndpoints struct {
	healthz, readyz int
	state           string // from /readyz's body
	body            supStatus
	err             error
}

func (e supEndpoints) String() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("healthz=%d readyz=%d %+v", e.healthz, e.readyz, e.body)
}

func supLook(addr string) supEndpoints {
	var e supEndpoints
	if e.healthz, _, e.err = supGet(addr, "/healthz"); e.err != nil {
		return e
	}
	e.readyz, e.body, e.err = supGet(addr, "/readyz")
	e.state = e.body.State
	return e
}

// supWaitEndpoints polls both endpoints until they answer healthz and
// readyz with state in the body (any state if ""), for up to d.
func supWaitEndpoints(t *testing.T, p *tendProc, addr string, d time.Duration, healthz, readyz int, state string) supEndpoints {
	t.Helper()
	var last supEndpoints
	ok := poll(d, func() bool {
		last = supLook(addr)
		return last.err == nil && last.healthz == healthz && last.readyz == readyz && (state == "" || last.state == state)
	})
	if !ok {
		t.Fatalf("timed out after %v waiting for healthz=%d readyz=%d state=%q; last: %v\nstderr:\n%s", d, healthz, readyz, state, last, p.stderr)
	}
	return last
}

// supFreeAddr returns a 127.0.0.1 address with a port nobody listens on.
//
// The port comes from below the kernel's ephemeral range (32768 and up
// here), one after another from a base of this process's: a port the kernel
// picked for a "127.0.0.1:0" listener and gave back could be picked again
// for another test's listener or connection before tend binds it.
func supFreeAddr(t *testing.T) string {
	t.Helper()
	for range 200 {
		port := 20000 + (supPortBase+int(supPortNext.Add(1)))%12000
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue // taken by something else: the next one
		}
		ln.Close()
		return addr
	}
	t.Fatal("no free port below the ephemeral range in 200 tries")
	return ""
}

// supPortBase and supPortNext spread supFreeAddr's ports: a base of this
// test process's, then one port more per call.
var (
	supPortBase = os.Getpid() * 97 % 12000
	supPortNext atomic.Int64
)

// Modes of supProbeServer.
const (
	supOK   = iota // 200
	supFail        // 500
	supHang        // no answer until the client gives up
)

// supProbeServer is an HTTP server on 127.0.0.1 for --health-http that
// answers as its mode says and counts requests.
type supProbeServer struct {
	*httptest.Server
	mode     atomic.Int32
	requests atomic.Int64
}

func newSupProbeServer(t *testing.T, mode int32) *supProbeServer {
	t.Helper()
	s := &supProbeServer{}
	s.mode.Store(mode)
	stop := make(chan struct{})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		switch s.mode.Load() {
		case supOK:
			w.WriteHeader(http.StatusOK)
		case supFail:
			w.WriteHeader(http.StatusInternalServerError)
		case supHang:
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		}
	}))
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(stop) }) // before Close, which waits for handlers
	return s
}

// supTCPListener listens on 127.0.0.1 and accepts and closes every
// connection until the test ends.
func supTCPListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// TestHealthProbes: each probe kind against a peer on 127.0.0.1, with
// --health-interval=100ms --health-retries=2 --health-timeout=200ms. A
// healthy child keeps running and /readyz turns 200 (then SIGTERM ends it:
// 143); an unhealthy one is stopped and tend exits 69 with an "unhealthy
// failures=2" line naming the last error.
func TestHealthProbes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		probe   func(t *testing.T) []string // the probe's options
		healthy bool
		wantErr string // in the unhealthy line, if not healthy
		// minTime is the least time from the start to the exit: two
		// intervals plus two timeouts for a peer that hangs.
		minTime time.Duration
	}{
		{name: "http-200", healthy: true, probe: func(t *testing.T) []string {
			return []string{"--health-http", newSupProbeServer(t, supOK).URL + "/health"}
		}},
		{name: "http-500", wantErr: "500", probe: func(t *testing.T) []string {
			return []string{"--health-http", newSupProbeServer(t, supFail).URL + "/health"}
		}},
		{name: "http-hang", wantErr: "timeout", minTime: 600 * time.Millisecond, probe: func(t *testing.T) []string {
			return []string{"--health-http", newSupProbeServer(t, supHang).URL + "/health"}
		}},
		{name: "http-refused", wantErr: "refused", probe: func(t *testing.T) []string {
			return []string{"--health-http", "http://" + supFreeAddr(t) + "/health"}
		}},
		{name: "tcp-listening", healthy: true, probe: func(t *testing.T) []string {
			return []string{"--health-tcp", supTCPListener(t)}
		}},
		{name: "tcp-closed", wantErr: "refused", probe: func(t *testing.T) []string {
			return []string{"--health-tcp", supFreeAddr(t)}
		}},
		{name: "cmd-exit-1", wantErr: "exit status 1", probe: func(*testing.T) []string {
			return []string{"--health-cmd", "sh -c 'exit 1'"}
		}},
		{name: "cmd-true", healthy: true, probe: func(*testing.T) []string {
			return []string{"--health-cmd", "true"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := supFreeAddr(t)
			args := append([]string{"--health-interval=100ms", "--health-retries=2", "--health-timeout=200ms",
				"--status-addr", addr}, tt.probe(t)...)
			begin := time.Now()
			p := startPID1(t, runOpts{}, append(args, helperArgv("hang")...)...)
			if !tt.healthy {
				p.waitStatus(supTimeout, 69)
				if d := time.Since(begin); d < tt.minTime {
					t.Errorf("tend exited %v after its start; want at least %v (2 × (interval + timeout))", d, tt.minTime)
				}
				var line string
				for _, l := range tendLines(p.stderr.String()) {
					if strings.HasPrefix(l, "tend: warning: unhealthy failures=2 ") {
						line = l
					}
				}
				if !strings.Contains(line, tt.wantErr) {
					t.Errorf("unhealthy line = %q; want one holding %q\nstderr:\n%s", line, tt.wantErr, p.stderr)
				}
				return
			}
			e := supWaitEndpoints(t, p, addr, 10*time.Second, 200, 200, "running")
			if e.body.Probe != "ok" {
				t.Errorf("/readyz last_probe = %q; want ok", e.body.Probe)
			}
			// Still running and ready after probes that finished at least 3
			// intervals later.
			first := e.body.ProbeTime
			waitFor(t, 10*time.Second, "3 more probes", func() bool {
				e = supLook(addr)
				return e.err != nil || e.body.ProbeTime.Sub(first) >= 300*time.Millisecond
			})
			if e.err != nil || e.healthz != 200 || e.readyz != 200 || e.body.Probe != "ok" {
				t.Fatalf("3 probes later: %v; want healthz 200, readyz 200, last probe ok\nstderr:\n%s", e, p.stderr)
			}
			if p.exited() || supCount(p, "warning: unhealthy") != 0 {
				t.Fatalf("a healthy child was stopped\nstderr:\n%s", p.stderr)
			}
			p.signal(unix.SIGTERM)
			p.waitStatus(supTimeout, 143)
		})
	}
}

// TestHealthStartPeriod: with --health-start-period=1s and a probe that
// always fails (--health-retries=1, every 100ms), tend does not act on the
// failures in the first second: after 3 failed probes it still runs; then
// the first failure after the start period makes it exit 69, not before
// 1s.
func TestHealthStartPeriod(t *testing.T) {
	t.Parallel()
	srv := newSupProbeServer(t, supFail)
	begin := time.Now()
	p := startPID1(t, runOpts{}, append([]string{"--health-start-period=1s", "--health-interval=100ms", "--health-retries=1",
		"--health-http", srv.URL}, helperArgv("hang")...)...)
	waitFor(t, 10*time.Second, "3 probes", func() bool { return srv.requests.Load() >= 3 || p.exited() })
	// The start period began after begin, so it surely runs until begin+1s.
	if at := time.Since(begin); at < time.Second {
		if p.exited() {
			t.Fatalf("tend exited %v after its start, in the 1s start period\nstderr:\n%s", at, p.stderr)
		}
	} else {
		t.Logf("the 3rd probe came %v after the start, after the start period: not checked", at)
	}
	p.waitStatus(supTimeout, 69)
	if d := time.Since(begin); d < time.Second {
		t.Errorf("tend exited 69 %v after its start; want after the 1s start period", d)
	}
	supWantLine(t, p, "tend: warning: unhealthy failures=1 err=\"status 500\"")
}

// TestUnhealthyRestart: with --restart=on-failure, an unhealthy child is
// stopped and restarted (the default --on-unhealthy), and the restart
// counts against --max-restarts: with 1, tend gives up after the second
// unhealthy run with its status, 143 (the child died of SIGTERM).
func TestUnhealthyRestart(t *testing.T) {
	t.Parallel()
	srv := newSupProbeServer(t, supFail)
	file := filepath.Join(t.TempDir(), "runs")
	p := startPID1(t, runOpts{}, append([]string{"--restart=on-failure", "--max-restarts=1", "--backoff-min=20ms",
		"--health-interval=100ms", "--health-retries=2", "--health-http", srv.URL},
		helperArgv("sup-record", file, "hang")...)...)
	p.waitStatus(supTimeout, 143)
	if runs := supRuns(t, file); len(runs) != 2 {
		t.Errorf("the command ran %d times; want 2\nstderr:\n%s", len(runs), p.stderr)
	}
	if n := supCount(p, "warning: unhealthy failures=2 "); n != 2 {
		t.Errorf("tend logged %d unhealthy lines; want 2\nstderr:\n%s", n, p.stderr)
	}
	supWantLine(t, p, "tend: restarting delay=20ms attempt=1/1")
	supWantLine(t, p, "tend: warning: gave up restarts=1 status=143")
}

// TestHealthCmdReaped: 100 and more --health-cmd probes, 10ms apart, leave
// no zombie in the namespace.
func TestHealthCmdReaped(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "probes")
	p := startPID1(t, runOpts{}, append([]string{"--health-interval=10ms", "--health-cmd", "sh -c 'echo x >> " + file + "'"},
		helperArgv("hang")...)...)
	waitFor(t, 20*time.Second, "100 probes", func() bool {
		lines, _ := supLines(file)
		return len(lines) >= 100 || p.exited()
	})
	if p.exited() {
		t.Fatalf("tend exited during the probes\nstderr:\n%s", p.stderr)
	}
	// A probe that just exited is a zombie until tend reaps it: at most
	// one at a time, and a look without any must come soon.
	var last []procStat
	ok := poll(5*time.Second, func() bool {
		ps := p.nsProcs()
		last = zombies(ps)
		if len(last) > 1 {
			t.Fatalf("%d zombies in the namespace after %d probes: %v", len(last), 100, ps)
		}
		return len(last) == 0
	})
	if !ok {
		t.Fatalf("a zombie stays in the namespace: %v", last)
	}
	if ps := p.nsProcs(); len(ps) > 3 {
		t.Errorf("namespace holds %d processes; want tend, the child and at most one probe: %v", len(ps), ps)
	}
	p.signal(unix.SIGTERM)
	p.waitStatus(supTimeout, 143)
}

// TestStatusEndpointStates: /healthz and /readyz through each state, with
// a child that ignores SIGTERM, --restart=on-failure, an HTTP probe the
// test switches, --health-retries=1 and a long start period (failures in
// it do not count; a success ends it):
//   - running, probe failing in the start period: healthz 200, readyz 503;
//   - running, probe passed: 200, 200;
//   - probe fails → unhealthy, stopping (2s grace): 503, 503;
//   - backoff (30s): 503, 503, last exit 137;
//   - SIGTERM: tend exits at once with 137.
func TestStatusEndpointStates(t *testing.T) {
	t.Parallel()
	srv := newSupProbeServer(t, supFail)
	addr := supFreeAddr(t)
	p := startPID1(t, runOpts{}, append([]string{"--restart=on-failure", "--backoff-min=30s", "--grace=2s",
		"--health-http", srv.URL, "--health-interval=50ms", "--health-retries=1", "--health-start-period=1h",
		"--status-addr", addr}, helperArgv("ignore-term")...)...)
	pid := p.expectReady("")

	waitFor(t, 10*time.Second, "a failed probe", func() bool { return srv.requests.Load() >= 1 })
	e := supWaitEndpoints(t, p, addr, 10*time.Second, 200, 503, "running")
	if e.body.PID != pid || e.body.LastExit != nil || !strings.HasPrefix(e.body.Probe, "failed: ") {
		t.Errorf("before a passed probe: %v; want pid %d, no last exit, a failed probe", e, pid)
	}

	srv.mode.Store(supOK)
	e = supWaitEndpoints(t, p, addr, 10*time.Second, 200, 200, "running")
	if e.body.Probe != "ok" {
		t.Errorf("after a passed probe: %v; want last_probe ok", e)
	}

	srv.mode.Store(supFail)
	e = supWaitEndpoints(t, p, addr, 10*time.Second, 503, 503, "stopping")
	if e.body.PID != pid || e.body.Live || e.body.Ready {
		t.Errorf("while stopping: %v; want pid %d, not live, not ready", e, pid)
	}

	e = supWaitEndpoints(t, p, addr, 10*time.Second, 503, 503, "backoff")
	if e.body.PID != 0 || e.body.LastExit == nil || *e.body.LastExit != 137 {
		t.Errorf("in backoff: %v; want pid 0, last exit 137", e)
	}
	// tend is still running: its log line may be on its way through the
	// pipe when the status already says backoff.
	supWaitStderr(t, p, 10*time.Second, "tend: restarting delay=30s attempt=1/10")

	sent := time.Now()
	p.signal(unix.SIGTERM)
	p.waitStatus(10*time.Second, 137)
	if d := time.Since(sent); d >= 10*time.Second {
		t.Errorf("tend exited %v after SIGTERM in the backoff; want at once", d)
	}
}

// TestStatusEndpointNoProbe: without a probe, /readyz is 200 as soon as
// the child runs.
func TestStatusEndpointNoProbe(t *testing.T) {
	t.Parallel()
	addr := supFreeAddr(t)
	p := startPID1(t, runOpts{}, append([]string{"--status-addr", addr}, helperArgv("hang")...)...)
	e := supWaitEndpoints(t, p, addr, 10*time.Second, 200, 200, "running")
	if e.body.PID == 0 || e.body.Probe != "" {
		t.Errorf("running without a probe: %v; want a pid, no probe", e)
	}
	p.signal(unix.SIGTERM)
	p.waitStatus(supTimeout, 143)
}

// TestRestartSparesStrangers: as PID 1, the cleanup before a restart stops
// only what the last run left (its process group and tend's descendants),
// not a process that joined the namespace from outside, like the shell of
// a `docker exec` someone opened to debug: after the restart the stranger
// has received no signal from tend (its next signal is the test's USR1).
// Only the final shutdown stops the whole namespace (see
// TestShutdownWholeNamespace).
func TestRestartSparesStrangers(t *testing.T) {
	t.Parallel()
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		t.Skip("no nsenter (util-linux)")
	}
	p := startPID1(t, runOpts{}, append([]string{"--restart=always", "--backoff-min=10ms", "--grace=30s"},
		helperArgv("trap", "-label", "main", "-spawn", "bg,exit-on-term", "-exit-on", "USR1")...)...)
	p.expectReady("bg")
	p.expectReady("main")

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out := newOutput()
	joined := exec.CommandContext(ctx, nsenter, append(p.nsenterArgs(), "--", testBin, "trap", "-label", "x")...)
	joined.Env = append(os.Environ(), roleEnv+"=helper")
	joined.Stdout = out
	if err := joined.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill(); _ = joined.Wait() }) // the namespace's end ends it
	if line, err := out.nextLine(lineTimeout); err != nil || !strings.HasPrefix(line, "x ready ") {
		t.Fatalf("the process that joined the namespace printed %q, %v; want its ready line", line, err)
	}
	var stranger int // its pid here: nsenter's child
	waitFor(t, 10*time.Second, "nsenter's child", func() bool {
		d := descendants(joined.Process.Pid)
		if len(d) > 0 {
			stranger = d[0]
		}
		return stranger != 0
	})

	p.signal(unix.SIGUSR1) // main exits 0; bg is left and stopped; restart
	p.expectLinesSkipping(shutdownNoise("bg"), "main SIGUSR1", "bg SIGUSR1", "bg SIGTERM")
	p.expectReady("bg")
	p.expectReady("main")
	if err := unix.Kill(stranger, unix.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if line, err := out.nextLine(lineTimeout); err != nil || line != "x SIGUSR1" {
		t.Errorf("after the restart the process that joined the namespace printed %q, %v; want \"x SIGUSR1\" (no signal from tend)\nstderr:\n%s", line, err, p.stderr)
	}
}

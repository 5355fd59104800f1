//go:build e2e && linux

package integration

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestE2EPodmanExitStatus: tend as ENTRYPOINT passes the app's exit status
// through, and a death by signal N as 128+N.
func TestE2EPodmanExitStatus(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	tests := []struct {
		name   string
		script string
		want   int
	}{
		{"zero", "exit 0", 0},
		{"seven", "exit 7", 7},
		{"255", "exit 255", 255},
		{"SIGTERM", "kill -TERM $$", 128 + 15},
		{"SIGKILL", "kill -KILL $$", 128 + 9},
		{"SIGSEGV", "kill -SEGV $$", 128 + 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.run([]string{"--rm"}, "sh", "-c", tt.script)
			if r.code != tt.want {
				t.Errorf("podman run IMAGE sh -c %q: exit %d; want %d\n%s", tt.script, r.code, tt.want, r)
			}
		})
	}
}

// TestE2EPodmanStopTrapsTerm: `podman stop` sends SIGTERM to tend, which
// forwards it; the app prints its shutdown line and exits 0 well within the
// runtime's timeout, so the container's status is 0.
func TestE2EPodmanStopTrapsTerm(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	name := p.start(nil, "sh", "-c",
		`trap 'echo app: shutting down; exit 0' TERM; echo app: ready; while :; do sleep 0.1; done`)
	p.waitLog(name, "app: ready", 20*time.Second)

	r := p.podman(nil, "stop", "--time", "20", name)
	if r.code != 0 {
		t.Fatalf("podman stop: %s", r)
	}
	if r.elapsed > 10*time.Second {
		t.Errorf("podman stop took %v: the runtime's SIGKILL, not the app, ended the container", r.elapsed)
	}
	if code := p.wait(name); code != 0 {
		t.Errorf("exit status after podman stop = %d; want 0", code)
	}
	if logs := p.logs(name); !strings.Contains(logs.stdout, "app: shutting down") {
		t.Errorf("no shutdown line from the app:\n%s", logs)
	}
}

// TestE2EPodmanGraceKillsIgnorer: an app that ignores SIGTERM is killed by
// tend at --grace, long before `podman stop -t` would have sent SIGKILL.
func TestE2EPodmanGraceKillsIgnorer(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	name := p.start([]string{"--entrypoint", `["/tend", "--grace=1s", "--"]`}, "sh", "-c",
		`trap '' TERM; echo app: ready; while :; do sleep 0.1; done`)
	p.waitLog(name, "app: ready", 20*time.Second)

	const runtimeTimeout = 30
	r := p.podman(nil, "stop", "--time", strconv.Itoa(runtimeTimeout), name)
	if r.code != 0 {
		t.Fatalf("podman stop: %s", r)
	}
	if r.elapsed < 900*time.Millisecond {
		t.Errorf("podman stop took %v: the app was killed before tend's 1s grace", r.elapsed)
	}
	if r.elapsed > 10*time.Second {
		t.Errorf("podman stop took %v: tend did not kill the app at its 1s grace (runtime timeout %ds)", r.elapsed, runtimeTimeout)
	}
	if code := p.wait(name); code != 128+9 {
		t.Errorf("exit status = %d; want %d (the app killed by SIGKILL)", code, 128+9)
	}
}

// TestE2EPodmanOrphansReaped: orphans that the app makes are reparented to
// tend (PID 1) and reaped: the container's /proc shows no zombie.
func TestE2EPodmanOrphansReaped(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	// Each (sleep &) subshell exits at once, so its sleep is reparented to
	// PID 1; a setsid'd one as well. The app itself (tail) lives on, so only
	// tend can reap them.
	name := p.start(nil, "sh", "-c",
		`for i in $(seq 40); do (sleep 0.2 &); done; (setsid sleep 0.3 &); echo app: spawned; exec tail -f /dev/null`)
	p.waitLog(name, "app: spawned", 20*time.Second)

	var procs []procStat
	if !poll(15*time.Second, func() bool {
		r := p.podman(nil, "exec", name, "sh", "-c", e2eProcScript)
		procs = e2eParseStat(r.stdout)
		if len(procs) == 0 {
			t.Fatalf("podman exec: no processes read:\n%s", r)
		}
		for _, pr := range procs {
			// Zombies and live orphans both still count: wait for neither.
			if pr.Comm == "sleep" && pr.PPid == 1 {
				return false
			}
		}
		return len(zombies(procs)) == 0
	}) {
		t.Fatalf("timed out after 15s waiting for the orphans to exit and be reaped; processes:\n%s", e2eFormatProcs(procs))
	}
	var haveTend, haveApp bool
	for _, pr := range procs {
		haveTend = haveTend || (pr.Pid == 1 && pr.Comm == "tend")
		haveApp = haveApp || (pr.Comm == "tail" && pr.PPid == 1)
	}
	if !haveTend {
		t.Errorf("PID 1 is not tend: %+v", procs)
	}
	if !haveApp {
		t.Errorf("the app (tail, child of tend) is gone: %+v", procs)
	}
	// podman top reads the same /proc from outside; a zombie shows as Z there too.
	if r := p.podman(nil, "top", name, "pid", "ppid", "state", "comm"); r.code == 0 {
		for _, line := range strings.Split(r.stdout, "\n")[1:] {
			if f := strings.Fields(line); len(f) >= 3 && f[2] == "Z" {
				t.Errorf("podman top shows a zombie: %q\n%s", line, r.stdout)
			}
		}
	} else {
		t.Logf("podman top: %s", r)
	}
}

// TestE2EPodmanKillUSR1: `podman kill -s USR1` reaches the app through tend.
func TestE2EPodmanKillUSR1(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	name := p.start(nil, "sh", "-c",
		`trap 'echo app: got USR1' USR1; trap 'exit 0' TERM; echo app: ready; while :; do sleep 0.1; done`)
	p.waitLog(name, "app: ready", 20*time.Second)
	if r := p.podman(nil, "kill", "--signal", "USR1", name); r.code != 0 {
		t.Fatalf("podman kill -s USR1: %s", r)
	}
	p.waitLog(name, "app: got USR1", 10*time.Second)
	if r := p.podman(nil, "kill", "--signal", "TERM", name); r.code != 0 {
		t.Fatalf("podman kill -s TERM: %s", r)
	}
	if code := p.wait(name); code != 0 {
		t.Errorf("exit status after SIGTERM = %d; want 0 (the app's trap exits 0)", code)
	}
}

// TestE2EPodmanRestartGivesUp: a crash-looping app under
// --restart=on-failure --max-restarts=2 runs three times with growing
// backoff gaps, then tend gives up with the app's status.
func TestE2EPodmanRestartGivesUp(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	r := p.run([]string{"--rm", "--entrypoint",
		`["/tend", "--restart=on-failure", "--max-restarts=2", "--backoff-min=100ms", "--backoff-max=10s", "--"]`},
		"sh", "-c", `echo "app: run $(cut -d' ' -f1 /proc/uptime)"; exit 3`)
	if r.code != 3 {
		t.Errorf("exit status = %d; want 3 (the app's last status)", r.code)
	}
	var at []float64
	for _, line := range strings.Split(r.stdout, "\n") {
		if rest, ok := strings.CutPrefix(line, "app: run "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("bad uptime in %q: %v", line, err)
			}
			at = append(at, f)
		}
	}
	if len(at) != 3 {
		t.Fatalf("the app ran %d times; want 3 (1 + 2 restarts)\n%s", len(at), r)
	}
	// /proc/uptime has 10ms resolution; backoff is 100ms then 200ms.
	if gap := at[1] - at[0]; gap < 0.08 {
		t.Errorf("first restart after %.2fs; want at least the 100ms backoff\n%s", gap, r)
	}
	if gap := at[2] - at[1]; gap < 0.18 {
		t.Errorf("second restart after %.2fs; want at least the doubled 200ms backoff\n%s", gap, r)
	}
	if !strings.Contains(r.stderr, "gave up") {
		t.Errorf("tend did not log that it gave up:\n%s", r)
	}
}

// TestE2EPodmanUnhealthyExits69: --health-http against a port nothing
// listens on, configured with TEND_* through -e, makes tend stop the app and
// exit 69 (EX_UNAVAILABLE).
func TestE2EPodmanUnhealthyExits69(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	r := p.run([]string{"--rm",
		"-e", "TEND_HEALTH_HTTP=http://127.0.0.1:9/healthz",
		"-e", "TEND_HEALTH_INTERVAL=200ms",
		"-e", "TEND_HEALTH_TIMEOUT=200ms",
		"-e", "TEND_HEALTH_RETRIES=2",
		"-e", "TEND_GRACE=2s",
	}, "sh", "-c", `echo app: up; exec sleep 600`)
	if r.code != 69 {
		t.Errorf("exit status = %d; want 69 (unhealthy)\n%s", r.code, r)
	}
	if r.elapsed > 20*time.Second {
		t.Errorf("took %v to give up on an app that fails every 200ms probe", r.elapsed)
	}
	if !strings.Contains(r.stderr, "unhealthy") {
		t.Errorf("tend did not log that the app is unhealthy:\n%s", r)
	}
}

// TestE2EPodmanEnvConfig: TEND_* variables given with -e configure tend as
// ENTRYPOINT; a bad one is a usage error (125, one "tend: " line, no app).
func TestE2EPodmanEnvConfig(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	t.Run("remap", func(t *testing.T) {
		r := p.run([]string{"--rm", "-e", "TEND_REMAP_EXIT=7:0,143:3"}, "sh", "-c", "exit 7")
		if r.code != 0 {
			t.Errorf("TEND_REMAP_EXIT=7:0,143:3, app exits 7: status %d; want 0\n%s", r.code, r)
		}
		r = p.run([]string{"--rm", "-e", "TEND_REMAP_EXIT=7:0,143:3"}, "sh", "-c", "kill -TERM $$")
		if r.code != 3 {
			t.Errorf("TEND_REMAP_EXIT=7:0,143:3, app killed by SIGTERM: status %d; want 3\n%s", r.code, r)
		}
	})
	t.Run("bad value", func(t *testing.T) {
		r := p.run([]string{"--rm", "-e", "TEND_GRACE=banana"}, "sh", "-c", "echo app: started")
		if r.code != 125 {
			t.Errorf("TEND_GRACE=banana: status %d; want 125\n%s", r.code, r)
		}
		if strings.Contains(r.stdout, "app: started") {
			t.Errorf("TEND_GRACE=banana: the app ran:\n%s", r)
		}
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "tend: ") || !strings.Contains(lines[0], "banana") {
			t.Errorf("TEND_GRACE=banana: stderr is not one \"tend: \" line naming the value:\n%s", r)
		}
	})
}

// TestE2EPodmanInitPath: `podman run --init --init-path=bin/tend` (the
// `docker run --init` path): tend is PID 1 with no flags, reads TEND_* from
// -e, passes statuses through, and kills a SIGTERM ignorer at TEND_GRACE.
func TestE2EPodmanInitPath(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	initFlags := func(extra ...string) []string {
		return append([]string{"--init", "--init-path", p.tend, "--entrypoint", "/bin/sh"}, extra...)
	}

	t.Run("pid 1 and status", func(t *testing.T) {
		r := p.run(initFlags("--rm"), "-c", `tr '\0' ' ' </proc/1/cmdline; echo; exit 9`)
		if r.code != 9 {
			t.Errorf("status %d; want 9\n%s", r.code, r)
		}
		if !strings.Contains(r.stdout, "/run/podman-init -- /bin/sh -c") {
			t.Errorf("PID 1 is not tend at /run/podman-init:\n%s", r)
		}
	})
	t.Run("signal status", func(t *testing.T) {
		r := p.run(initFlags("--rm"), "-c", `kill -INT $$`)
		if r.code != 128+2 {
			t.Errorf("status %d; want %d\n%s", r.code, 128+2, r)
		}
	})
	t.Run("TEND_REMAP_EXIT", func(t *testing.T) {
		r := p.run(initFlags("--rm", "-e", "TEND_REMAP_EXIT=9:0"), "-c", `exit 9`)
		if r.code != 0 {
			t.Errorf("TEND_REMAP_EXIT=9:0: status %d; want 0\n%s", r.code, r)
		}
	})
	t.Run("TEND_GRACE", func(t *testing.T) {
		name := p.start(initFlags("-e", "TEND_GRACE=1s"), "-c",
			`trap '' TERM; echo app: ready; while :; do sleep 0.1; done`)
		p.waitLog(name, "app: ready", 20*time.Second)
		r := p.podman(nil, "stop", "--time", "30", name)
		if r.code != 0 {
			t.Fatalf("podman stop: %s", r)
		}
		if r.elapsed > 10*time.Second {
			t.Errorf("podman stop took %v; want tend to kill at TEND_GRACE=1s", r.elapsed)
		}
		if code := p.wait(name); code != 128+9 {
			t.Errorf("status %d; want %d", code, 128+9)
		}
	})
	t.Run("orphans", func(t *testing.T) {
		// The app polls (at most 5s) until no sleep, live or zombie, is a
		// child of PID 1, then prints /proc for the test to check.
		r := p.run(initFlags("--rm"), "-c", fmt.Sprintf(
			`for i in $(seq 20); do (sleep 0.1 &); done
			n=0; while [ $n -lt 100 ] && (%s) | grep -q '(sleep) [A-Z] 1 '; do n=$((n+1)); sleep 0.05; done
			%s; exit 0`, e2eProcScript, e2eProcScript))
		if r.code != 0 {
			t.Fatalf("status %d; want 0\n%s", r.code, r)
		}
		if z := zombies(e2eParseStat(r.stdout)); len(z) > 0 {
			t.Errorf("zombies under tend as --init: %+v\n%s", z, r)
		}
	})
}

// TestE2EPodmanStatusEndpoint: tend probes a real HTTP app (busybox httpd)
// and serves /healthz and /readyz on TEND_STATUS_ADDR, as a kubelet would
// ask them; when the app's health page goes away, tend stops it and exits 69.
func TestE2EPodmanStatusEndpoint(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	name := p.start([]string{
		"-e", "TEND_STATUS_ADDR=:9090",
		"-e", "TEND_HEALTH_HTTP=http://127.0.0.1:8080/healthz",
		"-e", "TEND_HEALTH_INTERVAL=200ms",
		"-e", "TEND_HEALTH_RETRIES=2",
		"-e", "TEND_GRACE=2s",
	}, "sh", "-c", `mkdir -p /tmp/www && echo ok >/tmp/www/healthz && exec httpd -f -p 127.0.0.1:8080 -h /tmp/www`)

	// busybox wget exits 0 on a 2xx answer and 1 otherwise.
	get := func(path string) e2eResult {
		return p.podman(nil, "exec", name, "wget", "-q", "-O", "-", "http://127.0.0.1:9090"+path)
	}
	waitFor(t, 20*time.Second, "/readyz to answer 200 once the app passed a probe", func() bool { return get("/readyz").code == 0 })
	if r := get("/healthz"); r.code != 0 || !strings.Contains(r.stdout, `"state"`) {
		t.Errorf("/healthz while the app is healthy: %s", r)
	}

	if r := p.podman(nil, "exec", name, "rm", "/tmp/www/healthz"); r.code != 0 {
		t.Fatalf("remove the app's health page: %s", r)
	}
	if code := p.wait(name); code != 69 {
		t.Errorf("exit status after the app went unhealthy = %d; want 69", code)
	}
	if logs := p.logs(name); !strings.Contains(logs.stderr, "unhealthy") {
		t.Errorf("tend did not log that the app is unhealthy:\n%s", logs)
	}
}

// TestE2EPodmanSharedPIDNamespace: tend in a container that joins another
// container's PID namespace (`--pid container:…`, like a Kubernetes pod with
// shareProcessNamespace) is not PID 1. PID 1 there is a plain sleep that
// reaps nothing, so any orphan that is not reparented to tend (a child
// subreaper) stays a zombie. tend reaps them all, and at `podman stop` it
// also stops an orphan that ignores SIGTERM, at its grace.
func TestE2EPodmanSharedPIDNamespace(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	holder := p.start([]string{"--entrypoint", "/bin/sh"}, "-c", "exec sleep 3600")
	name := p.start([]string{"--pid", "container:" + holder, "-e", "TEND_GRACE=2s"}, "sh", "-c",
		`for i in $(seq 20); do (sleep 0.1 &); done
		(setsid sh -c 'trap "" TERM; while :; do sleep 1; done' & echo $! >/tmp/stubborn.pid)
		echo app: ready
		exec tail -f /dev/null`)
	p.waitLog(name, "app: ready", 20*time.Second)

	r := p.podman(nil, "exec", name, "cat", "/tmp/stubborn.pid")
	stubborn, err := strconv.Atoi(strings.TrimSpace(r.stdout))
	if err != nil {
		t.Fatalf("read the stubborn orphan's pid: %v\n%s", err, r)
	}

	var procs []procStat
	if !poll(15*time.Second, func() bool {
		procs = e2eParseStat(p.podman(nil, "exec", holder, "sh", "-c", e2eProcScript).stdout)
		sleeps := 0
		for _, pr := range procs {
			if pr.Comm == "sleep" && pr.Pid != 1 && pr.State != 'Z' {
				sleeps++ // the stubborn loop's sleep 1, or a 0.1 one still running
			}
		}
		return len(zombies(procs)) == 0 && sleeps <= 1
	}) {
		t.Fatalf("timed out after 15s waiting for the short-lived orphans to exit and be reaped; processes:\n%s", e2eFormatProcs(procs))
	}
	var tendPid int
	for _, pr := range procs {
		if pr.Comm == "tend" {
			tendPid = pr.Pid
		}
	}
	switch {
	case tendPid == 0:
		t.Fatalf("no tend in the shared PID namespace: %v", procs)
	case tendPid == 1:
		t.Fatalf("tend is PID 1; want the holder's sleep there: %v", procs)
	}
	for _, pr := range procs {
		if pr.Pid == stubborn && pr.PPid != tendPid {
			t.Errorf("the orphan %v was reparented to %d; want tend (%d), a child subreaper", pr, pr.PPid, tendPid)
		}
	}

	r = p.podman(nil, "stop", "--time", "30", name)
	if r.code != 0 {
		t.Fatalf("podman stop: %s", r)
	}
	if r.elapsed > 10*time.Second {
		t.Errorf("podman stop took %v; want tend to kill the stubborn orphan at its 2s grace", r.elapsed)
	}
	if code := p.wait(name); code != 128+15 {
		t.Errorf("exit status = %d; want %d (tail killed by the forwarded SIGTERM)", code, 128+15)
	}
	// Had tend left the orphan behind, the runtime's kill would have made it
	// a zombie under the holder's sleep, which never reaps.
	procs = e2eParseStat(p.podman(nil, "exec", holder, "sh", "-c", e2eProcScript).stdout)
	for _, pr := range procs {
		if pr.Pid != 1 && !(pr.Comm == "sh" || pr.Comm == "cat") {
			t.Errorf("left in the shared PID namespace after tend's container stopped: %v", pr)
		}
	}
}

// TestE2EPodmanQueuedSignals: in a real container with TEND_QUEUE_SIGNALS=1,
// tend, PID 1, executed
// itself once with the queued signals blocked (it reads them from a
// signalfd), kept its name, and its app starts with nothing blocked.
func TestE2EPodmanQueuedSignals(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	r := p.run([]string{"--rm", "-e", "TEND_QUEUE_SIGNALS=1"}, "sh", "-c",
		`echo "pid1 $(cat /proc/1/comm) $(grep SigBlk /proc/1/status)"; echo "app $(grep SigBlk /proc/self/status)"`)
	if r.code != 0 {
		t.Fatalf("podman run: %s", r)
	}
	var pid1Name string
	var pid1Blk, appBlk uint64
	for _, line := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 4 && f[0] == "pid1":
			pid1Name = f[1]
			pid1Blk, _ = strconv.ParseUint(f[3], 16, 64)
		case len(f) == 3 && f[0] == "app":
			appBlk, _ = strconv.ParseUint(f[2], 16, 64)
		}
	}
	if pid1Name != "tend" {
		t.Errorf("PID 1 is named %q; want tend\n%s", pid1Name, r)
	}
	if want := sigMaskOf([]unix.Signal{unix.SIGUSR1, unix.SIGWINCH, 40, 64}); pid1Blk&want != want {
		t.Errorf("tend blocks %016x; want at least %016x (the queued signals)\n%s", pid1Blk, want, r)
	}
	if appBlk != 0 {
		t.Errorf("the app starts with %016x blocked; want nothing\n%s", appBlk, r)
	}
}

//go:build e2e && linux

package integration

// tend under a real Docker engine: Debian's docker.io (dockerd 20.10), run
// by the test itself with state of its own in a temporary directory, tend
// as the daemon's init (daemon.json "init-path", the documented way), and
// images from `docker import` of the busybox rootfs or `docker build` of a
// FROM scratch context: no registry is reachable.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// e2eDockerd and e2eDockerCLI are Debian's docker.io. The client must be
	// the package's own: a newer one (/usr/local/bin/docker, say) may ask
	// for an API version dockerd 20.10 does not speak.
	e2eDockerd   = "/usr/sbin/dockerd"
	e2eDockerCLI = "/usr/bin/docker"
)

// e2eDocker is one dockerd of the test's own and its test image.
type e2eDocker struct {
	dir    string   // the daemon's state, removed at the end
	global []string // client flags: this daemon's socket, an empty client config
	image  string   // the busybox rootfs, imported; no ENTRYPOINT
	tend   string
}

// e2eNewDocker starts a dockerd with its state under a new directory and
// tend as its init, and imports the test image. Its cleanup stops the
// daemon by its pid, waits for it (bounded) and removes the state. When
// dockerd is missing or cannot start, the test skips with the reason, or
// fails under CI.
func e2eNewDocker(t *testing.T) *e2eDocker {
	t.Helper()
	if os.Geteuid() != 0 {
		e2eSkipOrFail(t, "docker end-to-end tests: not root (dockerd needs root)")
	}
	for _, bin := range []string{e2eDockerd, e2eDockerCLI} {
		if _, err := os.Stat(bin); err != nil {
			e2eSkipOrFail(t, "docker end-to-end tests: %v (Debian's docker.io; `make deps` installs it)", err)
		}
	}
	if err := e2eCheckStatic(e2eBusybox); err != nil {
		e2eSkipOrFail(t, "docker end-to-end tests: busybox-static: %v", err)
	}
	tend := tendBin
	if err := e2eCheckStatic(tend); err != nil {
		e2eSkipOrFail(t, "docker end-to-end tests: tend binary: %v", err)
	}

	dir := e2eTempDir(t)
	sock := filepath.Join(dir, "docker.sock")
	d := &e2eDocker{
		dir:    dir,
		global: []string{"--host", "unix://" + sock, "--config", filepath.Join(dir, "client")},
		image:  "tend-e2e:" + e2eID(t),
		tend:   tend,
	}
	// The README's daemon.json, which also keeps the machine's own
	// /etc/docker/daemon.json out of the test.
	conf, err := json.Marshal(map[string]string{"init-path": tend})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), conf, 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(e2eDockerd,
		"--config-file", filepath.Join(dir, "daemon.json"),
		"--data-root", filepath.Join(dir, "root"),
		"--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "pid"),
		"--host", "unix://"+sock,
		// No network but --network none: nothing of the host's to set up.
		"--iptables=false", "--ip6tables=false", "--bridge=none", "--userland-proxy=false",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a Ctrl-C of go test is not its
	if err := cmd.Start(); err != nil {
		e2eSkipOrFail(t, "docker end-to-end tests: start %s: %v", e2eDockerd, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() { d.stop(t, cmd.Process, exited) })

	var last e2eResult
	up := poll(60*time.Second, func() bool {
		select {
		case <-exited:
			return true
		default:
		}
		if _, err := os.Stat(sock); err != nil {
			return false
		}
		last = d.docker(t, nil, "version", "--format", "{{.Server.Version}}")
		return last.code == 0
	})
	select {
	case <-exited:
		e2eSkipOrFail(t, "docker end-to-end tests: dockerd exited at start:\n%s", d.daemonLog())
	default:
	}
	if !up {
		e2eSkipOrFail(t, "docker end-to-end tests: dockerd did not answer within 60s (last: %s):\n%s", last, d.daemonLog())
	}

	img, err := e2eImageTar(tend)
	if err != nil {
		t.Fatalf("image rootfs: %v", err)
	}
	if r := d.docker(t, bytes.NewReader(img), "import", "-", d.image); r.code != 0 {
		t.Fatalf("docker import: %s", r)
	}
	return d
}

// stop ends the daemon by its pid: SIGTERM, then SIGKILL (to it and to
// the containerd it started) if it has not exited within 30s.
func (d *e2eDocker) stop(t *testing.T, p *os.Process, exited <-chan struct{}) {
	t.Helper()
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return
	case <-time.After(30 * time.Second):
	}
	t.Errorf("dockerd (pid %d) still running 30s after SIGTERM; killing it\n%s", p.Pid, d.daemonLog())
	_ = p.Signal(syscall.SIGKILL)
	if data, err := os.ReadFile(filepath.Join(d.dir, "exec", "containerd", "containerd.pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && pid > 1 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Errorf("dockerd (pid %d) still running 10s after SIGKILL", p.Pid)
	}
}

// daemonLog returns the end of dockerd's log, for failure messages.
func (d *e2eDocker) daemonLog() string {
	data, _ := os.ReadFile(filepath.Join(d.dir, "dockerd.log"))
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return strings.Join(lines[max(0, len(lines)-30):], "\n")
}

// docker runs the docker client against this daemon.
func (d *e2eDocker) docker(t *testing.T, stdin io.Reader, args ...string) e2eResult {
	t.Helper()
	return e2eExec(t, stdin, e2eDockerCLI, append(append([]string{}, d.global...), args...)...)
}

// name returns a unique container name, removed when t ends.
func (d *e2eDocker) name(t *testing.T) string {
	t.Helper()
	n := "tend-e2e-" + e2eID(t)
	t.Cleanup(func() {
		if r := d.docker(t, nil, "rm", "--force", n); r.code != 0 && !strings.Contains(r.stderr, "No such container") {
			t.Errorf("docker rm --force %s: %s", n, r)
		}
	})
	return n
}

// runArgs builds `docker run` arguments: --network none, flags, the image
// and the container's command.
func (d *e2eDocker) runArgs(name string, flags []string, image string, cmd ...string) []string {
	args := append([]string{"run", "--name", name, "--network", "none"}, flags...)
	return append(append(args, image), cmd...)
}

// run runs a container of the test image in the foreground.
func (d *e2eDocker) run(t *testing.T, flags []string, cmd ...string) e2eResult {
	t.Helper()
	return d.docker(t, nil, d.runArgs(d.name(t), flags, d.image, cmd...)...)
}

// start runs a container of image detached and returns its name.
func (d *e2eDocker) start(t *testing.T, flags []string, image string, cmd ...string) string {
	t.Helper()
	n := d.name(t)
	if r := d.docker(t, nil, d.runArgs(n, append([]string{"--detach"}, flags...), image, cmd...)...); r.code != 0 {
		t.Fatalf("docker run --detach: %s", r)
	}
	return n
}

// waitLog waits until the container's output holds s count times.
func (d *e2eDocker) waitLog(t *testing.T, name, s string, count int, timeout time.Duration) {
	t.Helper()
	var last e2eResult
	if !poll(timeout, func() bool {
		last = d.docker(t, nil, "logs", name)
		return strings.Count(last.stdout+last.stderr, s) >= count
	}) {
		t.Fatalf("container %s: %q not %d times in its output after %v:\n%s", name, s, count, timeout, last)
	}
}

// wait waits for the container to exit and returns its status.
func (d *e2eDocker) wait(t *testing.T, name string) int {
	t.Helper()
	r := d.docker(t, nil, "wait", name)
	code, err := strconv.Atoi(strings.TrimSpace(r.stdout))
	if r.code != 0 || err != nil {
		t.Fatalf("docker wait %s: %s", name, r)
	}
	return code
}

// TestE2EDocker runs tend under dockerd: as the daemon's init (`docker run
// --init`), and as the ENTRYPOINT of an image built from
// Dockerfile.example's final stage, whose HEALTHCHECK is `tend --check`.
// The subtests share one daemon and run in parallel.
func TestE2EDocker(t *testing.T) {
	t.Parallel()
	d := e2eNewDocker(t)

	t.Run("init exit status", func(t *testing.T) {
		t.Parallel()
		r := d.run(t, []string{"--rm", "--init"}, "sh", "-c", `tr '\0' ' ' </proc/1/cmdline; echo; /sbin/docker-init --version`)
		if r.code != 0 || !strings.Contains(r.stdout, "/sbin/docker-init -- sh -c") || !strings.Contains(r.stdout, "tend version ") {
			t.Errorf("docker run --init: want PID 1 to be tend, mounted at /sbin/docker-init\n%s", r)
		}
		for _, tt := range []struct {
			script string
			want   int
		}{
			{"exit 0", 0},
			{"exit 3", 3},
			{"kill -TERM $$", 128 + 15},
			{"kill -KILL $$", 128 + 9},
		} {
			if r := d.run(t, []string{"--rm", "--init"}, "sh", "-c", tt.script); r.code != tt.want {
				t.Errorf("docker run --init IMAGE sh -c %q: exit %d; want %d\n%s", tt.script, r.code, tt.want, r)
			}
		}
	})

	t.Run("bind mount and --entrypoint", func(t *testing.T) {
		t.Parallel()
		r := d.run(t, []string{"--rm", "--volume", d.tend + ":/bin/tend:ro", "--entrypoint", "/bin/tend"},
			"--remap-exit", "5:0", "--", "sh", "-c", `echo "pid 1: $(readlink /proc/1/exe)"; exit 5`)
		if r.code != 0 || !strings.Contains(r.stdout, "pid 1: /bin/tend\n") {
			t.Errorf("docker run -v tend:/bin/tend --entrypoint /bin/tend IMAGE --remap-exit 5:0 -- sh -c '...; exit 5': want tend as PID 1 and status 0\n%s", r)
		}
	})

	t.Run("docker stop", func(t *testing.T) {
		t.Parallel()
		name := d.start(t, []string{"--init"}, d.image, "sh", "-c",
			`trap 'echo app: got TERM; exit 0' TERM; echo app: ready; while :; do sleep 0.1; done`)
		d.waitLog(t, name, "app: ready", 1, 20*time.Second)
		r := d.docker(t, nil, "stop", "--time", "30", name)
		if r.code != 0 {
			t.Fatalf("docker stop: %s", r)
		}
		if r.elapsed > 10*time.Second {
			t.Errorf("docker stop --time 30 took %v: the app did not stop on the SIGTERM tend forwarded", r.elapsed)
		}
		if code := d.wait(t, name); code != 0 {
			t.Errorf("exit status after docker stop = %d; want 0 (the app's trap)", code)
		}
		if logs := d.docker(t, nil, "logs", name); !strings.Contains(logs.stdout, "app: got TERM") {
			t.Errorf("the app did not get SIGTERM:\n%s", logs)
		}
	})

	t.Run("docker kill USR1", func(t *testing.T) {
		t.Parallel()
		name := d.start(t, []string{"--init"}, d.image, "sh", "-c",
			`trap 'echo app: got USR1' USR1; trap 'exit 0' TERM; echo app: ready; while :; do sleep 0.1; done`)
		d.waitLog(t, name, "app: ready", 1, 20*time.Second)
		if r := d.docker(t, nil, "kill", "--signal", "USR1", name); r.code != 0 {
			t.Fatalf("docker kill -s USR1: %s", r)
		}
		d.waitLog(t, name, "app: got USR1", 1, 10*time.Second)
		if r := d.docker(t, nil, "kill", "--signal", "TERM", name); r.code != 0 {
			t.Fatalf("docker kill -s TERM: %s", r)
		}
		if code := d.wait(t, name); code != 0 {
			t.Errorf("exit status after SIGTERM = %d; want 0 (the app's trap)", code)
		}
	})

	t.Run("zombies reaped", func(t *testing.T) {
		t.Parallel()
		// Each (sleep &) subshell exits at once, so its sleep is reparented
		// to tend; the app (tail) never waits for anything.
		name := d.start(t, []string{"--init"}, d.image, "sh", "-c",
			`for i in $(seq 30); do (sleep 0.2 &); done; (setsid sleep 0.3 &); echo app: spawned; exec tail -f /dev/null`)
		d.waitLog(t, name, "app: spawned", 1, 20*time.Second)
		var procs []procStat
		if !poll(15*time.Second, func() bool {
			r := d.docker(t, nil, "exec", name, "sh", "-c", e2eProcScript)
			if procs = e2eParseStat(r.stdout); len(procs) == 0 {
				t.Fatalf("docker exec: no processes read:\n%s", r)
			}
			for _, pr := range procs {
				if pr.Comm == "sleep" && pr.PPid == 1 {
					return false // an orphan still running, or its zombie
				}
			}
			return len(zombies(procs)) == 0
		}) {
			t.Fatalf("timed out after 15s waiting for the orphans to exit and be reaped; processes:\n%s", e2eFormatProcs(procs))
		}
		if !slices.ContainsFunc(procs, func(p procStat) bool { return p.Comm == "tail" && p.PPid == 1 }) {
			t.Errorf("the app (tail, child of tend) is gone:\n%s", e2eFormatProcs(procs))
		}
	})

	// A process that entered the container with docker exec is not the
	// app's: a restart of the app must leave it alone, whether or not the
	// app left children behind for tend to stop first.
	t.Run("docker exec survives a restart", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct{ name, leftover string }{
			{"no leftovers", ""},
			{"a leftover", "sleep 60 & "},
		} {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				name := d.start(t, []string{"--init", "-e", "TEND_RESTART=on-failure", "-e", "TEND_BACKOFF_MIN=100ms"}, d.image, "sh", "-c",
					tt.leftover+`echo app: run; while [ ! -e /tmp/crash ]; do sleep 0.1; done; rm /tmp/crash; exit 1`)
				d.waitLog(t, name, "app: run", 1, 20*time.Second)
				if r := d.docker(t, nil, "exec", "--detach", name, "sh", "-c", `echo $$ >/tmp/exec.pid.tmp && mv /tmp/exec.pid.tmp /tmp/exec.pid && exec sleep 600`); r.code != 0 {
					t.Fatalf("docker exec --detach: %s", r)
				}
				var pid string
				waitFor(t, 10*time.Second, "the docker exec'd process to write its pid", func() bool {
					r := d.docker(t, nil, "exec", name, "cat", "/tmp/exec.pid")
					pid = strings.TrimSpace(r.stdout)
					return r.code == 0 && pid != ""
				})
				if r := d.docker(t, nil, "exec", name, "touch", "/tmp/crash"); r.code != 0 {
					t.Fatalf("docker exec touch: %s", r)
				}
				d.waitLog(t, name, "app: run", 2, 20*time.Second)
				// The restart waited for the leftovers to go, so a signal
				// meant for them has been sent by now.
				r := d.docker(t, nil, "exec", name, "cat", "/proc/"+pid+"/stat")
				procs := e2eParseStat(r.stdout)
				if r.code != 0 || len(procs) != 1 || procs[0].Comm != "sleep" || procs[0].State == 'Z' {
					logs := d.docker(t, nil, "logs", name)
					t.Errorf("the docker exec'd process (pid %s) did not survive tend's restart of the app: /proc/%s/stat: %s\ncontainer logs:\n%s", pid, pid, r, logs)
				}
			})
		}
	})

	t.Run("HEALTHCHECK tend --check", func(t *testing.T) {
		t.Parallel()
		image, healthcheck := d.buildExample(t)
		t.Logf("HEALTHCHECK from Dockerfile.example: %s", healthcheck)
		// tend as ENTRYPOINT, as the example's USER, passes the status on.
		r := d.docker(t, nil, d.runArgs(d.name(t), []string{"--rm"}, image, "sh", "-c", `echo "app: uid $(id -u)"; exit 3`)...)
		if r.code != 3 || !strings.Contains(r.stdout, "app: uid 65532\n") {
			t.Errorf("the example image, ENTRYPOINT tend: want the app as uid 65532 and status 3\n%s", r)
		}
		name := d.start(t, nil, image, "sh", "-c",
			`mkdir -p /tmp/www && echo ok >/tmp/www/healthz && exec httpd -f -p 127.0.0.1:8080 -h /tmp/www`)
		health := func() (string, string) {
			r := d.docker(t, nil, "inspect", "--format", "{{.State.Health.Status}}|{{json .State.Health.Log}}", name)
			status, log, _ := strings.Cut(strings.TrimSpace(r.stdout), "|")
			return status, log
		}
		var status, log string
		waitFor(t, 30*time.Second, "docker inspect to say healthy", func() bool {
			status, log = health()
			if status == "unhealthy" {
				t.Fatalf("health status unhealthy before it was ever healthy; log: %s", log)
			}
			return status == "healthy"
		})
		// tend's own /healthz, on TEND_STATUS_ADDR from the image's ENV.
		if r := d.docker(t, nil, "exec", name, "/tend", "--check", "http://127.0.0.1:9090/healthz"); r.code != 0 {
			t.Errorf("tend --check of tend's own /healthz: %s", r)
		}
		if r := d.docker(t, nil, "exec", name, "rm", "/tmp/www/healthz"); r.code != 0 {
			t.Fatalf("remove the app's health page: %s", r)
		}
		waitFor(t, 30*time.Second, "docker inspect to say unhealthy", func() bool {
			status, log = health()
			return status == "unhealthy"
		})
		var entries []struct {
			ExitCode int
			Output   string
		}
		if err := json.Unmarshal([]byte(log), &entries); err != nil || len(entries) == 0 {
			t.Fatalf("health log %q: %v", log, err)
		}
		last := entries[len(entries)-1]
		if want := "tend: unhealthy: get http://127.0.0.1:8080/healthz: status 404\n"; last.ExitCode != 1 || last.Output != want {
			t.Errorf("last health check: exit %d, output %q; want 1, %q", last.ExitCode, last.Output, want)
		}
	})

	t.Run("docker info", func(t *testing.T) {
		t.Parallel()
		out, err := exec.Command(d.tend, "--version").Output()
		if err != nil {
			t.Fatalf("tend --version: %v", err)
		}
		m := regexp.MustCompile(` - git\.(\S+) - `).FindSubmatch(out)
		if m == nil {
			t.Fatalf("tend --version = %q: no \" - git.COMMIT - \"", out)
		}
		r := d.docker(t, nil, "info")
		if r.code != 0 {
			t.Fatalf("docker info: %s", r)
		}
		if want := "init version: " + string(m[1]) + "\n"; !strings.Contains(r.stdout, want) {
			t.Errorf("docker info does not show %q (tend --version: %q):\n%s", want, out, r.stdout)
		}
		if want := "Init Binary: " + d.tend + "\n"; !strings.Contains(r.stdout, want) {
			t.Errorf("docker info does not show %q:\n%s", want, r.stdout)
		}
	})
}

// buildExample builds, with `docker build`, an image from Dockerfile.example's
// final stage: FROM scratch, its ENV, USER, EXPOSE, HEALTHCHECK and
// ENTRYPOINT as written, with the busybox rootfs (tend at /tend, as the
// example copies it) standing in for its COPY lines, and the HEALTHCHECK's
// schedule shortened. It returns the image and the HEALTHCHECK line.
func (d *e2eDocker) buildExample(t *testing.T) (string, string) {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "Dockerfile.example"))
	if err != nil {
		t.Fatal(err)
	}
	stages := dockerStages(parseDockerfile(string(data)))
	if len(stages) == 0 {
		t.Fatal("Dockerfile.example has no FROM")
	}
	final := stages[len(stages)-1]
	var b strings.Builder
	b.WriteString("FROM scratch\nCOPY rootfs/ /\n")
	var healthcheck string
	for _, in := range final.instrs {
		switch in.cmd {
		case "ENV", "USER", "EXPOSE", "ENTRYPOINT":
			fmt.Fprintf(&b, "%s %s\n", in.cmd, in.args)
		case "HEALTHCHECK":
			healthcheck = in.cmd + " " + in.args
			_, cmd, ok := strings.Cut(in.args, "CMD ")
			if !ok {
				t.Fatalf("line %d: HEALTHCHECK %s has no CMD", in.line, in.args)
			}
			fmt.Fprintf(&b, "HEALTHCHECK --interval=300ms --timeout=3s --retries=2 CMD %s\n", cmd)
		}
	}
	if healthcheck == "" {
		t.Fatal("Dockerfile.example's final stage has no HEALTHCHECK")
	}
	ctx := filepath.Join(d.dir, "build-"+e2eID(t))
	if err := os.MkdirAll(filepath.Join(ctx, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := e2eWriteRootfs(filepath.Join(ctx, "rootfs"), d.tend); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	image := "tend-e2e-example:" + e2eID(t)
	if r := d.docker(t, nil, "build", "--quiet", "--network", "none", "--tag", image, ctx); r.code != 0 {
		t.Fatalf("docker build:\n%s\n%s", b.String(), r)
	}
	return image, healthcheck
}

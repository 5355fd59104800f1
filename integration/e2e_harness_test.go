//go:build e2e && linux

package integration

// The end-to-end harness: tend in real containers under podman and runc.
//
// Every test gets its own podman storage (--root, --runroot, --tmpdir) in a
// fresh directory, imports its own copy of the test image (about 0.2s), and
// so can run in parallel with the others and clean up after itself without
// touching anyone else's containers. The image is a rootfs of static busybox
// (every applet a symlink, like `busybox --install -s`) plus tend at /tend,
// imported with `podman import` because no registry is reachable here.

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// e2eBusybox is where Debian's busybox-static puts its binary.
	e2eBusybox = "/bin/busybox"
	// e2eCmdTimeout bounds every podman, runc or go command a test runs.
	e2eCmdTimeout = 90 * time.Second
)

// e2eRuntimeFlags are the podman flags this machine needs: crun fails here,
// systemd is not PID 1, and the default rlimits cannot be raised.
var e2eRunFlags = []string{
	"--network=none",
	"--ulimit", "nofile=1024:1024",
	"--ulimit", "nproc=1024:1024",
}

// e2eMustRun reports whether a missing prerequisite is a failure: in CI
// (CI=true) and wherever TEND_TEST_REQUIRE_NS=1, a skipped end-to-end test
// would prove nothing.
func e2eMustRun() bool {
	return os.Getenv("CI") == "true" || os.Getenv("TEND_TEST_REQUIRE_NS") == "1"
}

// e2eSkipOrFail skips the test with a reason, or fails it when e2eMustRun.
func e2eSkipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if e2eMustRun() {
		t.Fatalf("%s (CI=true or TEND_TEST_REQUIRE_NS=1: not skipping; run `make deps` as root)", msg)
	}
	t.Skip(msg)
}

var e2eEnv struct {
	once    sync.Once
	tend    string // absolute path of a static tend binary
	image   []byte // the image rootfs as a tar stream
	missing string // why the end-to-end tests cannot run, if they cannot
}

// e2eRequire checks once what every end-to-end test needs (root, podman,
// runc, a static busybox, a static tend) and returns the tend binary.
func e2eRequire(t *testing.T) string {
	t.Helper()
	e2eEnv.once.Do(func() { e2eEnv.missing = e2eProbe() })
	if e2eEnv.missing != "" {
		e2eSkipOrFail(t, "end-to-end prerequisites: %s", e2eEnv.missing)
	}
	return e2eEnv.tend
}

func e2eProbe() string {
	if os.Geteuid() != 0 {
		return "not root (podman and runc need root here)"
	}
	for _, bin := range []string{"podman", "runc"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Sprintf("%s not found on PATH", bin)
		}
	}
	if err := e2eCheckStatic(e2eBusybox); err != nil {
		return fmt.Sprintf("busybox-static: %v", err)
	}
	// tendBin is the harness's build (main_test.go), or TEND_TEST_BIN.
	tend := tendBin
	if err := e2eCheckStatic(tend); err != nil {
		return fmt.Sprintf("tend binary: %v", err)
	}
	e2eEnv.tend = tend
	img, err := e2eImageTar(tend)
	if err != nil {
		return fmt.Sprintf("image rootfs: %v", err)
	}
	e2eEnv.image = img
	return ""
}

// e2eCheckStatic returns an error unless path is an ELF executable with no
// program interpreter: the image has no libc and no dynamic loader.
func e2eCheckStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked", path)
		}
	}
	return nil
}

// e2eFile is one entry of the test image's rootfs.
type e2eFile struct {
	name string
	mode int64  // permission bits
	dir  bool   // a directory
	link string // a symlink to this target
	src  string // regular file: copy of this host file
	data []byte // regular file: these bytes
}

// e2eRootfs lists the image: busybox and its applets, tend, a passwd and
// group file (for --user nobody) and the usual mount points.
func e2eRootfs(tend string) ([]e2eFile, error) {
	files := []e2eFile{}
	for _, d := range []string{"bin", "dev", "etc", "proc", "root", "run", "sys", "var"} {
		files = append(files, e2eFile{name: d, dir: true, mode: 0o755})
	}
	files = append(files,
		e2eFile{name: "tmp", dir: true, mode: 0o1777},
		e2eFile{name: "bin/busybox", mode: 0o755, src: e2eBusybox},
		e2eFile{name: "tend", mode: 0o755, src: tend},
		e2eFile{name: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")},
		e2eFile{name: "etc/group", mode: 0o644, data: []byte("root:x:0:\nnogroup:x:65534:\n")},
	)
	out, err := exec.Command(e2eBusybox, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("busybox --list: %w", err)
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "busybox" || strings.Contains(applet, "/") {
			continue
		}
		files = append(files, e2eFile{name: "bin/" + applet, mode: 0o777, link: "busybox"})
	}
	return files, nil
}

// e2eImageTar returns the rootfs as a tar stream for `podman import`.
func e2eImageTar(tend string) ([]byte, error) {
	files, err := e2eRootfs(tend)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		var data []byte
		switch {
		case f.dir:
			h.Typeflag, h.Name = tar.TypeDir, f.name+"/"
		case f.link != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, f.link
		default:
			data = f.data
			if f.src != "" {
				if data, err = os.ReadFile(f.src); err != nil {
					return nil, err
				}
			}
			h.Typeflag, h.Size = tar.TypeReg, int64(len(data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// e2eWriteRootfs writes the rootfs into dir, for a runc bundle.
func e2eWriteRootfs(dir, tend string) error {
	files, err := e2eRootfs(tend)
	if err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		switch {
		case f.dir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			if err := os.Chmod(p, os.FileMode(f.mode&0o777)|e2eSticky(f.mode)); err != nil {
				return err
			}
		case f.link != "":
			if err := os.Symlink(f.link, p); err != nil {
				return err
			}
		default:
			data := f.data
			if f.src != "" {
				if data, err = os.ReadFile(f.src); err != nil {
					return err
				}
			}
			if err := os.WriteFile(p, data, os.FileMode(f.mode)); err != nil {
				return err
			}
		}
	}
	return nil
}

func e2eSticky(mode int64) os.FileMode {
	if mode&0o1000 != 0 {
		return os.ModeSticky
	}
	return 0
}

// e2eID returns a short random suffix for container, image and bundle names,
// so parallel tests and earlier failed runs never collide.
func e2eID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// e2eTempDir makes a short directory under /tmp (t.TempDir's paths are long,
// and conmon's attach socket must fit in a sockaddr_un). Its cleanup first
// detaches any mount left under it, so a failed test cannot wedge the next.
func e2eTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tend-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e2eUnmountUnder(t, dir)
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove %s: %v", dir, err)
		}
	})
	return dir
}

// e2eUnmountUnder lazily unmounts every mount point below dir, deepest first.
func e2eUnmountUnder(t *testing.T, dir string) {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var points []string
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 4 && (fields[4] == dir || strings.HasPrefix(fields[4], dir+"/")) {
			points = append(points, fields[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		if err := unix.Unmount(points[i], unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			t.Logf("unmount %s: %v", points[i], err)
		}
	}
}

// e2eResult is what a finished command left behind.
type e2eResult struct {
	stdout, stderr string
	code           int // exit status; -1 when it did not exit normally
	elapsed        time.Duration
}

func (r e2eResult) String() string {
	return fmt.Sprintf("exit %d after %v\n--- stdout ---\n%s--- stderr ---\n%s", r.code, r.elapsed.Round(time.Millisecond), r.stdout, r.stderr)
}

// e2eExec runs name with args, bounded by e2eCmdTimeout, and returns its
// output and status. A command that cannot start fails the test.
func e2eExec(t *testing.T, stdin io.Reader, name string, args ...string) e2eResult {
	t.Helper()
	// Not t.Context(): that is canceled before the cleanups that remove
	// containers run.
	ctx, cancel := context.WithTimeout(context.Background(), e2eCmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := e2eResult{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode(), elapsed: time.Since(start)}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, r)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %s: timed out after %v\n%s", name, strings.Join(args, " "), e2eCmdTimeout, r)
	}
	return r
}

// e2ePodman is a podman with storage of its own, holding one test image.
type e2ePodman struct {
	t      *testing.T
	global []string
	image  string // the image, ENTRYPOINT ["/tend", "--"]
	tend   string // the host path of tend, for --init-path
	names  []string
}

// e2eNewPodman sets up podman storage for one test and imports the image.
// Cleanup removes every container the test named, then the whole storage.
func e2eNewPodman(t *testing.T) *e2ePodman {
	t.Helper()
	tend := e2eRequire(t)
	dir := e2eTempDir(t)
	p := &e2ePodman{
		t: t,
		global: []string{
			"--root", filepath.Join(dir, "root"),
			"--runroot", filepath.Join(dir, "run"),
			"--tmpdir", filepath.Join(dir, "tmp"),
			"--events-backend=none",
			"--cgroup-manager=cgroupfs",
			"--runtime=runc",
		},
		image: "localhost/tend-e2e:" + e2eID(t),
		tend:  tend,
	}
	t.Cleanup(p.cleanup)
	r := p.podman(bytes.NewReader(e2eEnv.image), "import", "--quiet",
		"--change", `ENTRYPOINT ["/tend", "--"]`, "-", p.image)
	if r.code != 0 {
		t.Fatalf("podman import: %s", r)
	}
	return p
}

func (p *e2ePodman) cleanup() {
	// One at a time, newest first: a container that joined another's
	// namespace must go before the other.
	for i := len(p.names) - 1; i >= 0; i-- {
		if r := p.podman(nil, "rm", "--force", "--ignore", "--time", "0", p.names[i]); r.code != 0 {
			p.t.Errorf("podman rm: %s", r)
		}
	}
	if r := p.podman(nil, "rmi", "--force", "--ignore", p.image); r.code != 0 {
		p.t.Logf("podman rmi: %s", r)
	}
	if r := p.podman(nil, "system", "reset", "--force"); r.code != 0 {
		p.t.Logf("podman system reset: %s", r)
	}
}

// podman runs podman with this test's storage flags.
func (p *e2ePodman) podman(stdin io.Reader, args ...string) e2eResult {
	p.t.Helper()
	return e2eExec(p.t, stdin, "podman", append(append([]string{}, p.global...), args...)...)
}

// command returns an unstarted podman command with this test's storage flags.
func (p *e2ePodman) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "podman", append(append([]string{}, p.global...), args...)...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// name returns a unique container name that cleanup will remove.
func (p *e2ePodman) name() string {
	n := "tend-e2e-" + e2eID(p.t)
	p.names = append(p.names, n)
	return n
}

// runArgs builds `run` arguments: the machine's flags, then extra podman
// flags, the image, then the container command.
func (p *e2ePodman) runArgs(name string, flags []string, cmd ...string) []string {
	args := []string{"run", "--name", name}
	args = append(args, e2eRunFlags...)
	args = append(args, flags...)
	args = append(args, p.image)
	return append(args, cmd...)
}

// run runs a container in the foreground and returns its result.
func (p *e2ePodman) run(flags []string, cmd ...string) e2eResult {
	p.t.Helper()
	return p.podman(nil, p.runArgs(p.name(), flags, cmd...)...)
}

// start runs a container detached and returns its name.
func (p *e2ePodman) start(flags []string, cmd ...string) string {
	p.t.Helper()
	n := p.name()
	if r := p.podman(nil, p.runArgs(n, append([]string{"--detach"}, flags...), cmd...)...); r.code != 0 {
		p.t.Fatalf("podman run --detach: %s", r)
	}
	return n
}

// logs returns the container's stdout and stderr so far.
func (p *e2ePodman) logs(name string) e2eResult {
	p.t.Helper()
	return p.podman(nil, "logs", name)
}

// waitLog waits until the container's output contains s.
func (p *e2ePodman) waitLog(name, s string, d time.Duration) {
	p.t.Helper()
	var last e2eResult
	deadline := time.Now().Add(d)
	for {
		last = p.logs(name)
		if strings.Contains(last.stdout+last.stderr, s) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("container %s: no %q in its output after %v:\n%s", name, s, d, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wait waits for the container to exit and returns its exit status.
func (p *e2ePodman) wait(name string) int {
	p.t.Helper()
	r := p.podman(nil, "wait", name)
	if r.code != 0 {
		p.t.Fatalf("podman wait %s: %s", name, r)
	}
	code, err := strconv.Atoi(strings.TrimSpace(r.stdout))
	if err != nil {
		p.t.Fatalf("podman wait %s: %q: %v", name, r.stdout, err)
	}
	return code
}

// e2eParseStat parses the concatenated /proc/*/stat lines that
// e2eProcScript prints in a container, like readStat does for one file.
// Lines that do not parse (a process that went away mid-read) are skipped.
func e2eParseStat(out string) []procStat {
	var procs []procStat
	for line := range strings.Lines(out) {
		open, end := strings.IndexByte(line, '('), strings.LastIndexByte(line, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(line[end+1:])
		pid, err := strconv.Atoi(strings.TrimSpace(line[:open]))
		if err != nil || len(f) < 4 {
			continue
		}
		st := procStat{Pid: pid, Comm: line[open+1 : end], State: f[0][0]}
		st.PPid, _ = strconv.Atoi(f[1])
		st.Pgrp, _ = strconv.Atoi(f[2])
		st.Session, _ = strconv.Atoi(f[3])
		procs = append(procs, st)
	}
	return procs
}

// e2eFormatProcs lists procs one a line, for failure messages.
func e2eFormatProcs(procs []procStat) string {
	var b strings.Builder
	for _, pr := range procs {
		fmt.Fprintf(&b, "\t%v\n", pr)
	}
	return b.String()
}

// e2eProcScript prints every /proc/<pid>/stat in a container; a process that
// exits between the glob and the read is simply missing from the output.
const e2eProcScript = `for f in /proc/[0-9]*/stat; do cat "$f" 2>/dev/null; done`

// e2eRunc drives runc directly, with a state root of its own.
type e2eRunc struct {
	t    *testing.T
	root string // runc --root
	dir  string // where bundles go
	tend string
}

func e2eNewRunc(t *testing.T) *e2eRunc {
	t.Helper()
	tend := e2eRequire(t)
	dir := e2eTempDir(t)
	return &e2eRunc{t: t, root: filepath.Join(dir, "state"), dir: dir, tend: tend}
}

// runc runs runc with this test's state root.
func (r *e2eRunc) runc(stdin io.Reader, args ...string) e2eResult {
	r.t.Helper()
	return e2eExec(r.t, stdin, "runc", append([]string{"--root", r.root}, args...)...)
}

// bundle makes an OCI bundle with `runc spec`, the test rootfs, and args as
// the process (terminal off, root writable), and returns its directory and a
// unique container id whose cleanup runs `runc delete --force`.
func (r *e2eRunc) bundle(args ...string) (dir, id string) {
	r.t.Helper()
	id = "tend-e2e-" + e2eID(r.t)
	dir = filepath.Join(r.dir, id)
	if err := os.MkdirAll(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if res := e2eExec(r.t, nil, "runc", "spec", "--bundle", dir); res.code != 0 {
		r.t.Fatalf("runc spec: %s", res)
	}
	if err := e2eWriteRootfs(filepath.Join(dir, "rootfs"), r.tend); err != nil {
		r.t.Fatal(err)
	}
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		r.t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(data, &spec); err != nil {
		r.t.Fatalf("config.json: %v", err)
	}
	process, ok1 := spec["process"].(map[string]any)
	root, ok2 := spec["root"].(map[string]any)
	if !ok1 || !ok2 {
		r.t.Fatalf("config.json from runc spec has no process or root object:\n%s", data)
	}
	process["args"] = args
	process["terminal"] = false
	root["readonly"] = false
	spec["hostname"] = id
	if data, err = json.MarshalIndent(spec, "", "\t"); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() {
		if res := r.runc(nil, "delete", "--force", id); res.code != 0 && !strings.Contains(res.stderr, "does not exist") {
			r.t.Errorf("runc delete --force %s: %s", id, res)
		}
	})
	return dir, id
}

// command returns an unstarted runc command with this test's state root,
// bounded by e2eCmdTimeout.
func (r *e2eRunc) command(args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(r.t.Context(), e2eCmdTimeout)
	r.t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, "runc", append([]string{"--root", r.root}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// status returns the container's status from `runc state`, or "" if it has none.
func (r *e2eRunc) status(id string) string {
	r.t.Helper()
	res := r.runc(nil, "state", id)
	if res.code != 0 {
		return ""
	}
	var st struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
		r.t.Fatalf("runc state %s: %v\n%s", id, err, res)
	}
	return st.Status
}

package main

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// A subject is one init under test, the Go floor (bench/cmd/floorinit, a
// reference), or the floor (no init at all).
type subject struct {
	name string // column name: tini, tini-static, dumb-init, catatonit, go-floor, tend, none
	path string // absolute path of the binary; empty for none
	// pre are the arguments between the binary and the command: the peers'
	// command lines differ (dumb-init CMD; tini/catatonit/tend -- CMD).
	pre []string
}

const floor = "none"

// goFloor is the reference subject: bench/cmd/floorinit, the least a Go init
// can do. It is measured like every init; the lean-core targets (issue 11)
// are set against it.
const goFloor = "go-floor"

// argv is the command line that runs cmd under s.
func (s subject) argv(cmd ...string) []string {
	if s.name == floor {
		return cmd
	}
	return append(append([]string{s.path}, s.pre...), cmd...)
}

// findSubjects locates the peers (Debian packages), the Go floor and tend.
// A missing one is reported in notes and left out.
func findSubjects(tend, floorInit string, notes *[]string) []subject {
	look := func(cands ...string) string {
		for _, c := range cands {
			if strings.HasPrefix(c, "/") {
				if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
					return c
				}
				continue
			}
			if p, err := exec.LookPath(c); err == nil {
				return p
			}
		}
		return ""
	}
	all := []subject{
		{name: "tini", path: look("/usr/bin/tini", "tini"), pre: []string{"--"}},
		{name: "tini-static", path: look("/usr/bin/tini-static", "tini-static"), pre: []string{"--"}},
		{name: "dumb-init", path: look("/usr/bin/dumb-init", "dumb-init")},
		{name: "catatonit", path: look("/usr/libexec/podman/catatonit", "/usr/bin/catatonit", "catatonit"), pre: []string{"--"}},
		{name: goFloor, path: look(floorInit)}, // floorinit CMD: it has no options
		{name: "tend", path: look(tend), pre: []string{"--"}},
	}
	var out []subject
	for _, s := range all {
		if s.path == "" {
			*notes = append(*notes, fmt.Sprintf("%s not found: left out", s.name))
			continue
		}
		out = append(out, s)
	}
	return out
}

// isStatic reports whether the ELF file at path has no program interpreter.
func isStatic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}

// env is the whole environment of every init: no TEND_, TINI_, DUMB_INIT_ or
// GODEBUG variable from the caller changes what is measured.
var env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}

// proc is a process bench started; bench reaps it by pid, nothing else.
type proc struct {
	pid    int
	stdin  *os.File // write end of the child's stdin, or nil
	stdout *os.File // read end of the child's stdout, or nil
	errf   string   // file holding its stderr, or ""
	done   bool
	ws     syscall.WaitStatus
}

var devNull *os.File

// spawn starts argv, as PID 1 of a new PID namespace when ns is set. With
// pipes, the child's stdin and stdout are pipes to bench; errf, if set,
// receives its stderr.
func spawn(argv []string, ns, pipes bool, errf string) (*proc, error) {
	p := &proc{errf: errf}
	files := []uintptr{devNull.Fd(), devNull.Fd(), devNull.Fd()}
	var closeAfter []*os.File
	if pipes {
		ir, iw, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		or, ow, err := os.Pipe()
		if err != nil {
			ir.Close()
			iw.Close()
			return nil, err
		}
		files[0], files[1] = ir.Fd(), ow.Fd()
		p.stdin, p.stdout = iw, or
		closeAfter = append(closeAfter, ir, ow)
	}
	if errf != "" {
		f, err := os.Create(errf)
		if err != nil {
			return nil, err
		}
		files[2] = f.Fd()
		closeAfter = append(closeAfter, f)
	}
	attr := &syscall.ProcAttr{Env: env, Files: files, Sys: &syscall.SysProcAttr{}}
	if ns {
		attr.Sys.Cloneflags = syscall.CLONE_NEWPID
	}
	pid, err := syscall.ForkExec(argv[0], argv, attr)
	for _, f := range closeAfter {
		f.Close()
	}
	if err != nil {
		p.closePipes()
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	p.pid = pid
	return p, nil
}

func (p *proc) closePipes() {
	if p.stdin != nil {
		p.stdin.Close()
	}
	if p.stdout != nil {
		p.stdout.Close()
	}
}

// poll reaps p if it has exited, without blocking.
func (p *proc) poll() bool {
	if p.done {
		return true
	}
	pid, err := syscall.Wait4(p.pid, &p.ws, syscall.WNOHANG, nil)
	if err == nil && pid == p.pid {
		p.done = true
	}
	return p.done
}

// wait waits up to d for p to exit; then it kills p (and, p being PID 1 of its
// namespace, everything in it) and reports that it had to.
func (p *proc) wait(d time.Duration) error {
	deadline := time.Now().Add(d)
	for !p.poll() {
		if time.Now().After(deadline) {
			p.kill()
			return fmt.Errorf("pid %d did not exit within %v: killed", p.pid, d)
		}
		time.Sleep(2 * time.Millisecond)
	}
	p.closePipes()
	return nil
}

// kill sends SIGKILL to p and reaps it.
func (p *proc) kill() {
	if !p.done {
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
		for {
			_, err := syscall.Wait4(p.pid, &p.ws, 0, nil)
			if !errors.Is(err, syscall.EINTR) {
				break
			}
		}
		p.done = true
	}
	p.closePipes()
}

// stderr returns the first line the process wrote to stderr.
func (p *proc) stderr() string {
	if p.errf == "" {
		return ""
	}
	b, _ := os.ReadFile(p.errf)
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return line
}

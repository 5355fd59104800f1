package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"
)

// asTend is set when TestMain should be tend itself: the test binary holds
// package main, so re-executing it with this variable runs tend's real
// main. The name does not start with TEND_, which would make tend take the
// slow path of its command line.
const asTend = "GO_TEST_AS_TEND"

func TestMain(m *testing.M) {
	if os.Getenv(asTend) == "1" {
		main()
		return // main exits
	}
	os.Exit(m.Run())
}

type result struct {
	stdout, stderr string
	code           int
}

// runTend runs tend (this binary re-executed) with args and env added to an
// environment free of TEND_* variables.
func runTend(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = tendEnv(env)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		t.Fatalf("tend %q with %q: %v\nstderr:\n%s", args, env, err, stderr.String())
	}
	return r
}

// tendEnv is the environment that makes this binary tend: the test's
// without its TEND_* variables, plus env.
func tendEnv(env []string) []string {
	e := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "TEND_") || strings.HasPrefix(kv, asTend+"=")
	})
	// A race-enabled binary sleeps a second at exit unless told otherwise.
	e = append(e, asTend+"=1", "GORACE=atexit_sleep_ms=0")
	return append(e, env...)
}

// oneErrorLine checks the contract for an error: one line on stderr that
// starts with "tend: " and holds mention, and nothing on stdout (no help
// text).
func oneErrorLine(t *testing.T, r result, mention string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "tend: ") || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("stderr %q; want one line starting \"tend: \"", r.stderr)
	} else if !strings.Contains(lines[0], mention) {
		t.Errorf("stderr %q; want it to name %q", r.stderr, mention)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q; want nothing", r.stdout)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		args    []string
		mention string // what the error line must name
	}{
		{"bad grace", nil, []string{"--grace", "soon", "true"}, "soon"},
		{"negative grace", nil, []string{"--grace=-1s", "true"}, "-1s"},
		{"bad grace variable", []string{"TEND_GRACE=3 s"}, []string{"true"}, "3 s"},
		{"bad forward", []string{"TEND_FORWARD=sideways"}, []string{"true"}, "sideways"},
		{"rewrite from KILL", nil, []string{"--rewrite", "KILL:TERM", "true"}, "KILL:TERM"},
		{"bad rewrite variable", []string{"TEND_REWRITE=TERM:QUIT,BOGUS:INT"}, []string{"true"}, "BOGUS:INT"},
		{"bad remap", nil, []string{"--remap-exit", "1:256", "true"}, "1:256"},
		{"bad pdeathsig", nil, []string{"--pdeathsig", "FOO", "true"}, "FOO"},
		{"uncatchable pdeathsig", []string{"TEND_PDEATHSIG=9"}, []string{"true"}, "SIGKILL"},
		{"bad log format", nil, []string{"--log-format", "xml", "true"}, "xml"},
		{"bad log format variable", []string{"TEND_LOG_FORMAT=yaml"}, []string{"true"}, "yaml"},
		{"bad restart", nil, []string{"--restart", "sometimes", "true"}, "sometimes"},
		{"negative max restarts", nil, []string{"--max-restarts", "-1", "true"}, "-1"},
		{"bad max restarts variable", []string{"TEND_MAX_RESTARTS=many"}, []string{"true"}, "many"},
		{"backoff min above max", nil, []string{"--backoff-min", "1s", "--backoff-max", "500ms", "true"}, "500ms"},
		{"bad deadline", nil, []string{"--deadline", "soon", "true"}, "soon"},
		{"two probes", nil, []string{"--health-cmd", "true", "--health-tcp", "127.0.0.1:1", "true"}, "--health-tcp"},
		{"probe option without a probe", nil, []string{"--health-interval", "5s", "true"}, "--health-interval"},
		{"probe variable without a probe", []string{"TEND_HEALTH_TIMEOUT=2s"}, []string{"true"}, "TEND_HEALTH_TIMEOUT"},
		{"bad on-unhealthy", nil, []string{"--health-cmd", "true", "--on-unhealthy", "explode", "true"}, "explode"},
		{"https probe", nil, []string{"--health-http", "https://127.0.0.1/", "true"}, "https://127.0.0.1/"},
		{"bad tcp probe", nil, []string{"--health-tcp", "nocolon", "true"}, "nocolon"},
		{"unknown flag", nil, []string{"--bogus", "true"}, "bogus"},
		{"unknown short flag", nil, []string{"-x", "true"}, "-x"},
		{"flag without its value", nil, []string{"--grace"}, "grace"},
		{"no command", nil, nil, "command"},
		{"only double dash", nil, []string{"--"}, "command"},
		{"no command with a flag", nil, []string{"--grace", "1s"}, "command"},
		{"pause and command", nil, []string{"--pause", "true"}, "true"},
		{"bad bool variable", []string{"TEND_NO_SUBREAPER=maybe"}, []string{"true"}, "maybe"},
		{"bad verbose variable", []string{"TEND_VERBOSE=loud"}, []string{"true"}, "loud"},
		{"bad bool flag value", nil, []string{"--no-subreaper=maybe", "true"}, "maybe"},
		{"unknown user", nil, []string{"--user", "no-such-user-tend", "true"}, "no-such-user-tend"},
		{"unknown group", nil, []string{"--user", "root:no-such-group-tend", "true"}, "no-such-group-tend"},
		{"missing workdir", nil, []string{"--workdir", "/no/such/dir-tend", "true"}, "/no/such/dir-tend"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runTend(t, tt.env, tt.args...)
			if r.code != 125 {
				t.Errorf("tend %q with %q: exit status %d; want 125\nstderr:\n%s", tt.args, tt.env, r.code, r.stderr)
			}
			oneErrorLine(t, r, tt.mention)
		})
	}
}

// exe writes an executable shell script into dir.
func exe(t *testing.T, dir, name, script string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// pathDir returns a temporary directory of scripts that print their name
// and arguments, and an environment with it first on PATH.
func pathDir(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"help", "version", "prog"} {
		exe(t, dir, name, `echo "ran ${0##*/}${1+ }$*"`)
	}
	if out, err := exec.Command(filepath.Join(dir, "prog")).Output(); err != nil || string(out) != "ran prog\n" {
		t.Skipf("cannot run scripts from %s: %v %q", dir, err, out)
	}
	return dir, []string{"PATH=" + dir + ":" + os.Getenv("PATH")}
}

func TestStartErrors(t *testing.T) {
	dir, env := pathDir(t)
	noexec := filepath.Join(dir, "noexec")
	if err := os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	binary := filepath.Join(dir, "binary") // executable, not a program
	if err := os.WriteFile(binary, []byte("\x00\x01\x02 not a program"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(binary, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
		args []string
		want int
	}{
		{"not found", env, []string{"no-such-command-tend"}, 127},
		{"not found, path", env, []string{"/no/such/dir/prog"}, 127},
		{"not found, options", env, []string{"--grace", "1s", "no-such-command-tend"}, 127},
		{"not found, variable", append([]string{"TEND_GRACE=1s"}, env...), []string{"no-such-command-tend"}, 127},
		{"not executable", env, []string{noexec}, 126},
		{"not executable on PATH", env, []string{"noexec"}, 126},
		{"not executable, options", env, []string{"-v", "--", "noexec"}, 126},
		{"a directory", env, []string{dir}, 126},
		{"not a program", env, []string{binary}, 126},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runTend(t, tt.env, tt.args...)
			if r.code != tt.want {
				t.Errorf("tend %q: exit status %d; want %d\nstderr:\n%s", tt.args, r.code, tt.want, r.stderr)
			}
			oneErrorLine(t, r, filepath.Base(tt.args[len(tt.args)-1]))
		})
	}
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		want int
	}{
		{"exit 0", nil, []string{"sh", "-c", "exit 0"}, 0},
		{"exit 3", nil, []string{"--", "sh", "-c", "exit 3"}, 3},
		{"exit 255", nil, []string{"sh", "-c", "exit 255"}, 255},
		{"killed by SIGTERM", nil, []string{"sh", "-c", "kill -TERM $$"}, 143},
		{"killed by SIGKILL", nil, []string{"sh", "-c", "kill -KILL $$"}, 137},
		{"remapped", nil, []string{"--remap-exit", "143:0", "sh", "-c", "kill -TERM $$"}, 0},
		{"remapped by variable", []string{"TEND_REMAP_EXIT=3:4,4:5"}, []string{"sh", "-c", "exit 3"}, 4},
		{"not remapped", []string{"TEND_REMAP_EXIT=3:4"}, []string{"sh", "-c", "exit 5"}, 5},
		{"not found remapped", []string{"TEND_REMAP_EXIT=127:1"}, []string{"no-such-command-tend"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runTend(t, tt.env, tt.args...)
			if r.code != tt.want {
				t.Errorf("tend %q with %q: exit status %d; want %d\nstderr:\n%s", tt.args, tt.env, r.code, tt.want, r.stderr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := runTend(t, nil, "--version")
	re := regexp.MustCompile(`^tend version \S+ - git\.[0-9A-Za-z-]+ - go\S+\n$`)
	if r.code != 0 || !re.MatchString(r.stdout) || r.stderr != "" {
		t.Errorf("tend --version: status %d, stdout %q, stderr %q; want 0, a line matching %s, nothing", r.code, r.stdout, r.stderr, re)
	}
	if got, want := r.stdout, versionLine()+"\n"; got != want {
		t.Errorf("tend --version printed %q; want %q", got, want)
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		t.Run(arg, func(t *testing.T) {
			r := runTend(t, nil, arg)
			if r.code != 0 || r.stderr != "" {
				t.Errorf("tend %s: status %d, stderr %q; want 0, nothing", arg, r.code, r.stderr)
			}
			lines := strings.Split(r.stdout, "\n")
			for _, f := range flags() {
				name := f.Names()[0]
				flag, env := "--"+name, "$"+envName(name)
				i := slices.IndexFunc(lines, func(l string) bool {
					return strings.HasPrefix(strings.TrimSpace(l), flag+" ") || strings.HasPrefix(strings.TrimSpace(l), flag+",")
				})
				if i < 0 {
					t.Errorf("tend %s does not list %s:\n%s", arg, flag, r.stdout)
					continue
				}
				if !strings.Contains(lines[i], env) {
					t.Errorf("tend %s: line for %s has no %s: %q", arg, flag, env, lines[i])
				}
				if sf, ok := f.(*cli.StringFlag); ok && sf.Value != "" && !strings.Contains(lines[i], `"`+sf.Value+`"`) {
					t.Errorf("tend %s: line for %s does not show its default %q: %q", arg, flag, sf.Value, lines[i])
				}
			}
			if strings.Contains(r.stdout, "COMMANDS:") {
				t.Errorf("tend %s lists commands; tend has none:\n%s", arg, r.stdout)
			}
		})
	}
}

// TestProgramNamedHelp checks that tend has no subcommands: a first word
// that is not an option is the program to run, with or without "--" and
// with or without options before it.
func TestProgramNamedHelp(t *testing.T) {
	_, env := pathDir(t)
	withVar := append([]string{"TEND_GRACE=1s"}, env...)
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"help", env, []string{"help"}, "ran help\n"},
		{"-- help", env, []string{"--", "help"}, "ran help\n"},
		{"version", env, []string{"version"}, "ran version\n"},
		{"-- version", env, []string{"--", "version"}, "ran version\n"},
		{"option help", env, []string{"--grace", "1s", "help"}, "ran help\n"},
		{"option -- version", env, []string{"-v", "--", "version"}, "ran version\n"},
		{"variable help", withVar, []string{"help"}, "ran help\n"},
		{"variable version", withVar, []string{"version", "--help"}, "ran version --help\n"},
		{"help with arguments", env, []string{"help", "-h", "--version"}, "ran help -h --version\n"},
		{"options after the command", env, []string{"prog", "-v", "--x"}, "ran prog -v --x\n"},
		{"options after the command, cli path", withVar, []string{"--quiet", "prog", "-v", "--grace", "x"}, "ran prog -v --grace x\n"},
		{"-- -- passes the second", env, []string{"--", "prog", "--", "a"}, "ran prog -- a\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runTend(t, tt.env, tt.args...)
			if r.code != 0 || r.stdout != tt.want {
				t.Errorf("tend %q: status %d, stdout %q; want 0, %q\nstderr:\n%s", tt.args, r.code, r.stdout, tt.want, r.stderr)
			}
		})
	}
}

// TestErrorLineFormat: once --log-format json is known, tend's one error
// line is a JSON object (level ERROR, msg, err, status); an error found
// before the format is known (the flags do not parse, the format itself
// is bad) stays the plain "tend: " line.
func TestErrorLineFormat(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		args    []string
		want    int
		json    bool
		mention string
	}{
		{"json not found", nil, []string{"--log-format", "json", "no-such-command-tend"}, 127, true, "no-such-command-tend"},
		{"json bad grace", nil, []string{"--log-format", "json", "--grace", "5x", "true"}, 125, true, `"5x"`},
		{"json variable, bad grace", []string{"TEND_LOG_FORMAT=json"}, []string{"--grace", "5x", "true"}, 125, true, `"5x"`},
		{"json no command", nil, []string{"--log-format=json"}, 125, true, "no command"},
		{"json not found, remapped", []string{"TEND_REMAP_EXIT=127:1"}, []string{"--log-format", "json", "no-such-command-tend"}, 1, true, "no-such-command-tend"},
		{"json unknown flag", nil, []string{"--log-format", "json", "--bogus", "true"}, 125, false, "bogus"},
		{"json bad bool variable", []string{"TEND_QUIET=maybe"}, []string{"--log-format", "json", "true"}, 125, false, "maybe"},
		{"bad format", nil, []string{"--log-format", "xml", "--grace", "5x", "true"}, 125, false, "xml"},
		{"text bad grace", nil, []string{"--log-format", "text", "--grace", "5x", "true"}, 125, false, `"5x"`},
		{"text not found", nil, []string{"-v", "no-such-command-tend"}, 127, false, "no-such-command-tend"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runTend(t, tt.env, tt.args...)
			if r.code != tt.want {
				t.Errorf("tend %q with %q: exit status %d; want %d\nstderr:\n%s", tt.args, tt.env, r.code, tt.want, r.stderr)
			}
			if !tt.json {
				oneErrorLine(t, r, tt.mention)
				return
			}
			var line map[string]any
			if err := json.Unmarshal([]byte(r.stderr), &line); err != nil || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("stderr %q; want one JSON line: %v", r.stderr, err)
			}
			msg, _ := line["msg"].(string)
			errText, _ := line["err"].(string)
			if line["level"] != "ERROR" || msg == "" || !strings.Contains(errText, tt.mention) || line["status"] != float64(tt.want) {
				t.Errorf("error line %s; want level ERROR, a msg, an err naming %q and status %d", r.stderr, tt.mention, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q; want nothing", r.stdout)
			}
		})
	}
}

// TestDroppedLineJSON: tend logs to a stderr pipe nobody reads while its
// child leaves 600 orphans to reap (a debug line each); once the pipe is
// read again, tend's last line says how many lines it dropped, and under
// --log-format json that line is JSON like every other.
func TestDroppedLineJSON(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer errR.Close()
	// One page: a few dozen lines fill it.
	if _, err := unix.FcntlInt(errW.Fd(), unix.F_SETPIPE_SZ, 4096); err != nil {
		t.Fatalf("F_SETPIPE_SZ: %v", err)
	}
	cmd := exec.CommandContext(ctx, os.Args[0], "--log-format", "json", "-v", "sh", "-c",
		`i=0; while [ $i -lt 600 ]; do (true &); i=$((i+1)); done; echo flooded; read x`)
	cmd.Env = tendEnv(nil)
	cmd.Stderr = errW
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	errW.Close()
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "flooded\n" {
		t.Fatalf("child's stdout %q, %v; want \"flooded\"", line, err)
	}

	// Read stderr from now on, and wait until a line logged now has come
	// through: tend's queue is then empty. A forward logged while the
	// queue is still full is dropped, so SIGWINCH (sh ignores it) goes
	// again until its line comes.
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(errR)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var all []string
	for !slices.ContainsFunc(all, func(l string) bool { return strings.Contains(l, `"signal":"SIGWINCH"`) }) {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("stderr ended before a SIGWINCH line:\n%s", strings.Join(all, "\n"))
			}
			all = append(all, l)
		case <-tick.C:
			if err := cmd.Process.Signal(unix.SIGWINCH); err != nil {
				t.Fatal(err)
			}
		case <-ctx.Done():
			t.Fatalf("no SIGWINCH line on stderr:\n%s", strings.Join(all, "\n"))
		}
	}
	if _, err := io.WriteString(stdin, "\n"); err != nil {
		t.Fatal(err)
	}
	for l := range lines {
		all = append(all, l)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("tend: %v\nstderr:\n%s", err, strings.Join(all, "\n"))
	}
	for _, l := range all {
		var obj map[string]any
		if err := json.Unmarshal([]byte(l), &obj); err != nil {
			t.Errorf("stderr line %q is not a JSON object: %v", l, err)
		}
	}
	var last map[string]any
	_ = json.Unmarshal([]byte(all[len(all)-1]), &last)
	if msg, _ := last["msg"].(string); last["level"] != "WARN" || !strings.Contains(msg, "log lines were dropped") {
		t.Fatalf("last line %q; want the warning that lines were dropped", all[len(all)-1])
	}
	if n, ok := last["dropped"].(float64); !ok || n < 1 {
		t.Errorf("last line %q: dropped = %v; want a count of at least 1", all[len(all)-1], last["dropped"])
	}
}

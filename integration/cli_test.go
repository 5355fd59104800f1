//go:build linux

package integration

// The command line: 125/126/127 with one "tend: " line, --version, -h,
// arguments passed through, and no subcommands.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// assertOneErrorLine fails the test unless stderr is exactly one line that
// starts with "tend: " and contains every string of want.
func assertOneErrorLine(t *testing.T, stderr string, want ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasSuffix(stderr, "\n") || !strings.HasPrefix(lines[0], "tend: ") {
		t.Errorf("stderr = %q; want exactly one line starting \"tend: \"", stderr)
		return
	}
	for _, w := range want {
		if !strings.Contains(lines[0], w) {
			t.Errorf("stderr line %q does not name %q", lines[0], w)
		}
	}
}

// TestUsageErrors: a usage error, a bad option value or a bad TEND_*
// variable exits 125 with one "tend: " line naming the bad value, prints no
// help, and starts no child (the child would create a marker file).
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   []string
		args  []string // before the child's command line
		want  string   // what the error line must name
		noCmd bool     // no command line after args
	}{
		{name: "unknown flag", args: []string{"--no-such-flag"}, want: "no-such-flag"},
		{name: "unknown short flag", args: []string{"-Z"}, want: "Z"},
		{name: "no command", noCmd: true},
		{name: "no command after --", args: []string{"--grace", "1s", "--"}, noCmd: true},
		{name: "rewrite bad FROM", args: []string{"--rewrite", "BOGUS:TERM"}, want: "BOGUS"},
		{name: "rewrite bad TO", args: []string{"--rewrite", "TERM:SIGBOGUS"}, want: "SIGBOGUS"},
		{name: "rewrite bad number", args: []string{"--rewrite", "99:TERM"}, want: "99"},
		{name: "rewrite no colon", args: []string{"--rewrite", "TERMQUIT"}, want: "TERMQUIT"},
		{name: "grace not a duration", args: []string{"--grace", "banana"}, want: "banana"},
		{name: "forward bad mode", args: []string{"--forward", "sideways"}, want: "sideways"},
		{name: "log format", args: []string{"--log-format", "yaml"}, want: "yaml"},
		{name: "remap-exit bad", args: []string{"--remap-exit", "abc:0"}, want: "abc"},
		{name: "pdeathsig bad", args: []string{"--pdeathsig", "SIGBOGUS"}, want: "SIGBOGUS"},
		{name: "unknown user", args: []string{"--user", "tend-no-such-user"}, want: "tend-no-such-user"},
		{name: "workdir missing", args: []string{"--workdir", "/no/such/dir"}, want: "/no/such/dir"},
		{name: "pause with a command", args: []string{"--pause"}},
		{name: "TEND_GRACE bad", env: []string{"TEND_GRACE=banana"}, want: "banana"},
		{name: "TEND_QUIET bad", env: []string{"TEND_QUIET=banana"}, want: "banana"},
		{name: "TEND_FORWARD bad", env: []string{"TEND_FORWARD=sideways"}, want: "sideways"},
		{name: "TEND_REWRITE bad", env: []string{"TEND_REWRITE=TERM:QUIT,INT:BOGUS"}, want: "BOGUS"},
		{name: "stop-signal STOP", args: []string{"--stop-signal", "STOP"}, want: "STOP"},
		{name: "TEND_STOP_SIGNAL 0", env: []string{"TEND_STOP_SIGNAL=0"}, want: `"0"`},
		{name: "stop-delay not a duration", args: []string{"--stop-delay", "5x"}, want: `--stop-delay (TEND_STOP_DELAY): invalid duration "5x"`},
		{name: "TEND_STOP_DELAY not below the grace", env: []string{"TEND_STOP_DELAY=30s", "TEND_GRACE=30s"}, want: "30s is not below --grace 30s"},
		{name: "restart-codes with --restart no", args: []string{"--restart-codes", "1"}, want: "restart-codes"},
		{name: "TEND_NO_RESTART_CODES bad", env: []string{"TEND_RESTART=always", "TEND_NO_RESTART_CODES=0,300"}, want: "300"},
		{name: "watchdog without notify", args: []string{"--watchdog", "5s"}, want: "--notify"},
		{name: "TEND_WATCHDOG bad", env: []string{"TEND_NOTIFY=1", "TEND_WATCHDOG=often"}, want: "often"},
		{name: "notify with pause", args: []string{"--notify", "--pause"}, want: "--pause", noCmd: true},
		{name: "restart code lists overlap", args: []string{"--restart", "always", "--restart-codes", "1,2", "--no-restart-codes", "2"}, want: "exit code 2"},
		{name: "termination log in a missing directory", args: []string{"--termination-log", "/no/such/dir/log"}, want: "/no/such/dir/log"},
		{name: "TEND_TERMINATION_LOG a directory", env: []string{"TEND_TERMINATION_LOG=/"}, want: `"/" is not a regular file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			marker := filepath.Join(t.TempDir(), "child-ran")
			args := tt.args
			if !tt.noCmd {
				args = append(args, "/bin/sh", "-c", `: > "$0"`, marker)
			}
			p := startTend(t, runOpts{Env: tt.env}, args...)
			p.waitStatus(exitTimeout, 125)
			if out := p.stdout.String(); out != "" {
				t.Errorf("stdout = %q; want nothing (no help text)", out)
			}
			var want []string
			if tt.want != "" {
				want = append(want, tt.want)
			}
			assertOneErrorLine(t, p.stderr.String(), want...)
			if _, err := os.Stat(marker); err == nil {
				t.Errorf("the child ran despite the usage error")
			}
		})
	}
}

// TestNotRunnable: a command that is found but cannot be executed exits
// 126, one that is not found 127, each with one "tend: " line naming it.
func TestNotRunnable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	noExec := write("not-executable", "#!/bin/sh\nexit 0\n", 0o644)
	junk := write("junk", "\x00\x01\x02 this is not a program\n", 0o755)
	tests := []struct {
		name string
		cmd  string
		env  []string
		want int
	}{
		{"directory", dir, nil, 126},
		{"not executable", noExec, nil, 126},
		{"no shebang", junk, nil, 126},
		{"not on PATH", "tend-no-such-command", nil, 127},
		{"no such path", "/no/such/dir/cmd", nil, 127},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startTend(t, runOpts{Env: tt.env}, tt.cmd, "arg")
			p.waitStatus(exitTimeout, tt.want)
			assertOneErrorLine(t, p.stderr.String(), tt.cmd)
			if out := p.stdout.String(); out != "" {
				t.Errorf("stdout = %q; want nothing", out)
			}
		})
	}
}

// TestVersion: --version prints "tend version …" on one line and exits 0.
func TestVersion(t *testing.T) {
	t.Parallel()
	p := startTend(t, runOpts{}, "--version")
	p.waitStatus(exitTimeout, 0)
	out := p.stdout.String()
	if !strings.HasPrefix(out, "tend version ") || strings.Count(out, "\n") != 1 {
		t.Errorf("tend --version printed %q; want one line starting \"tend version \"", out)
	}
}

// TestHelp: tend -h lists every option with its variable and exits 0.
func TestHelp(t *testing.T) {
	t.Parallel()
	p := startTend(t, runOpts{}, "-h")
	p.waitStatus(exitTimeout, 0)
	help := p.stdout.String() + p.stderr.String()
	for _, opt := range []string{"forward", "rewrite", "remap-exit", "grace", "no-subreaper", "pdeathsig",
		"user", "workdir", "pause", "log-format", "verbose", "quiet"} {
		env := "TEND_" + strings.ToUpper(strings.ReplaceAll(opt, "-", "_"))
		if !strings.Contains(help, "--"+opt) || !strings.Contains(help, env) {
			t.Errorf("tend -h does not list --%s with %s", opt, env)
		}
	}
	if !strings.Contains(help, "10s") {
		t.Errorf("tend -h does not show the default grace 10s")
	}
}

// TestArgsPassedThrough: tend stops reading options at the first word that
// is not one, so the child's options reach the child, with or without --.
func TestArgsPassedThrough(t *testing.T) {
	t.Parallel()
	tests := [][]string{
		append(helperArgv("args"), "-v", "--x"),
		append([]string{"--"}, append(helperArgv("args"), "-v", "--x")...),
		append([]string{"--grace", "1s"}, append(helperArgv("args"), "--grace", "2s", "-h", "--version", "--")...),
	}
	for _, args := range tests {
		p := startTend(t, runOpts{}, args...)
		p.waitStatus(exitTimeout, 0)
		i := 0
		for i < len(args) && args[i] != testBin {
			i++
		}
		want := strings.Join(args[i+2:], "\n") + "\n"
		if got := p.stdout.String(); got != want {
			t.Errorf("tend %q: child got args %q; want %q", args, got, want)
		}
	}
}

// TestNoSubcommands: programs named version and help on PATH are run as
// programs, with and without --.
func TestNoSubcommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"version", "help"} {
		script := "#!/bin/sh\necho \"program $(basename \"$0\") $*\"\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"PATH=" + dir + ":" + os.Getenv("PATH")}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"version"}, "program version \n"},
		{[]string{"help"}, "program help \n"},
		{[]string{"--", "version"}, "program version \n"},
		{[]string{"--", "help", "-h"}, "program help -h\n"},
		{[]string{"version", "--version"}, "program version --version\n"},
	}
	for _, tt := range tests {
		p := startTend(t, runOpts{Env: env}, tt.args...)
		p.waitStatus(exitTimeout, 0)
		if got := p.stdout.String(); got != tt.want {
			t.Errorf("tend %q printed %q; want %q (the program)", tt.args, got, tt.want)
		}
	}
}

// TestLogs: tend's own lines go to stderr only: "tend: …" in text, one JSON
// object per line with --log-format json; --quiet leaves only errors (none
// here); -v adds every reap, here an orphan's (a line with pid=N).
func TestLogs(t *testing.T) {
	t.Parallel()
	// run runs tend with args on a child that leaves an orphan for tend to
	// reap and prints "orphan N"; it returns tend's stderr lines and N. (The
	// orphan sleeps so that it outlives its parent, or its parent might reap
	// it; tend's shutdown ends it early.)
	run := func(args ...string) ([]string, int) {
		t.Helper()
		p := startTend(t, runOpts{}, append(args, "/bin/sh", "-c", `( sleep 1 & echo "orphan $!" ); exit 0`)...)
		p.waitStatus(exitTimeout, 0)
		var orphan int
		if _, err := fmt.Sscanf(p.stdout.String(), "orphan %d\n", &orphan); err != nil {
			t.Errorf("tend %q: stdout = %q; want only the child's \"orphan N\"", args, p.stdout)
		}
		return splitLines(p.stderr.String()), orphan
	}
	text, _ := run()
	if len(text) == 0 {
		t.Errorf("default logging: nothing on stderr; want start and exit events")
	}
	if tl := tendLines(strings.Join(text, "\n")); len(tl) != len(text) {
		t.Errorf("default logging: stderr lines %q; want each to start \"tend: \"", text)
	}
	verbose, orphan := run("-v")
	if !slices.ContainsFunc(verbose, func(l string) bool { return strings.Contains(l, fmt.Sprintf(" pid=%d", orphan)) }) {
		t.Errorf("-v logged %q; want a line about the reap of orphan pid=%d", verbose, orphan)
	}
	if q, _ := run("--quiet"); len(q) != 0 {
		t.Errorf("--quiet: stderr = %q; want nothing", q)
	}
	js, _ := run("--log-format", "json")
	if len(js) == 0 {
		t.Errorf("--log-format json: nothing on stderr")
	}
	for _, l := range js {
		var obj map[string]any
		if err := json.Unmarshal([]byte(l), &obj); err != nil {
			t.Errorf("--log-format json: line %q is not a JSON object: %v", l, err)
		}
	}
}

// splitLines splits s into its lines.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

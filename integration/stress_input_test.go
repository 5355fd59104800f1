//go:build stress && linux

package integration

// Hostile input on the command line and in TEND_* variables, to tend as
// PID 1: each case either works (and the child runs as asked) or gives the
// contract's usage status, 125, with exactly one stderr line starting
// "tend: ", and never a crash.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// junk is NUL-free binary garbage: control characters, a newline (an error
// line that prints it raw becomes two lines), invalid UTF-8, an escape
// sequence and unbalanced quotes.
const junk = "\x01\x7f\xff\xfe\n\r\x1b[31m\"'\\ junk\t"

// everyVariable lists tend's option variables (tend -h shows them).
var everyVariable = []string{
	"TEND_FORWARD", "TEND_REWRITE", "TEND_REMAP_EXIT", "TEND_GRACE", "TEND_NO_SUBREAPER", "TEND_PDEATHSIG",
	"TEND_USER", "TEND_WORKDIR", "TEND_PAUSE", "TEND_RESTART", "TEND_MAX_RESTARTS", "TEND_BACKOFF_MIN",
	"TEND_BACKOFF_MAX", "TEND_DEADLINE", "TEND_HEALTH_CMD", "TEND_HEALTH_HTTP", "TEND_HEALTH_TCP",
	"TEND_HEALTH_INTERVAL", "TEND_HEALTH_TIMEOUT", "TEND_HEALTH_RETRIES", "TEND_HEALTH_START_PERIOD",
	"TEND_ON_UNHEALTHY", "TEND_STATUS_ADDR", "TEND_LOG_FORMAT", "TEND_VERBOSE", "TEND_QUIET",
}

// boolVariables are the variables of options that take no value.
var boolVariables = []string{"TEND_NO_SUBREAPER", "TEND_PAUSE", "TEND_VERBOSE", "TEND_QUIET"}

// flagName maps TEND_HEALTH_CMD to health-cmd.
func flagName(v string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(v, "TEND_")), "_", "-")
}

// TestStressHostileUsage: bad values, each on its own, give 125 and one
// "tend: " line, and the child never runs.
func TestStressHostileUsage(t *testing.T) {
	t.Parallel()
	type tc struct {
		name string
		env  []string
		args []string
	}
	var tests []tc
	for _, v := range everyVariable {
		tests = append(tests,
			tc{name: "junk in " + v, env: []string{v + "=" + junk}},
			tc{name: "junk in --" + flagName(v), args: []string{"--" + flagName(v) + "=" + junk}},
		)
		// An empty boolean variable is false (see TestStressHostileWorks).
		if !slices.Contains(boolVariables, v) {
			tests = append(tests,
				tc{name: "empty " + v, env: []string{v + "="}},
				tc{name: "empty --" + flagName(v), args: []string{"--" + flagName(v), ""}})
		}
	}
	tests = append(tests,
		tc{name: "rewrite FROM 65", args: []string{"--rewrite", "65:1"}},
		tc{name: "rewrite TO 65", args: []string{"--rewrite", "1:65"}},
		tc{name: "rewrite FROM 0", args: []string{"--rewrite", "0:1"}},
		tc{name: "rewrite FROM -1", args: []string{"--rewrite", "-1:1"}},
		tc{name: "rewrite huge", args: []string{"--rewrite", "99999999999999999999:1"}},
		tc{name: "rewrite in variable 65", env: []string{"TEND_REWRITE=TERM:QUIT,65:1"}},
		tc{name: "pdeathsig 0", args: []string{"--pdeathsig", "0"}},
		tc{name: "pdeathsig 65", args: []string{"--pdeathsig", "65"}},
		tc{name: "pdeathsig KILL", args: []string{"--pdeathsig", "KILL"}},
		tc{name: "remap 256", args: []string{"--remap-exit", "256:0"}},
		tc{name: "remap -1", args: []string{"--remap-exit", "1:-1"}},
		tc{name: "grace overflow", args: []string{"--grace", "9999999999h"}},
		tc{name: "grace overflow in variable", env: []string{"TEND_GRACE=9999999999h"}},
		tc{name: "deadline overflow", args: []string{"--deadline", "99999999999999999999ns"}},
		tc{name: "backoff overflow", args: []string{"--backoff-max", "2562048h"}},
		tc{name: "max-restarts overflow", args: []string{"--max-restarts", "99999999999999999999"}},
		tc{name: "health-retries negative", args: []string{"--health-cmd", "true", "--health-retries", "-1"}},
		tc{name: "user uid overflow", args: []string{"--user", "4294967296"}},
		tc{name: "long bad value", args: []string{"--grace", strings.Repeat("9", 100000)}},
		// urfave/cli refuses an option given in its short and long form.
		tc{name: "-v and --verbose", args: []string{"-v", "--verbose"}},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			marker := t.TempDir() + "/child-ran"
			args := append(tt.args, "/bin/sh", "-c", `: > "$0"`, marker)
			p := startPID1(t, runOpts{Env: tt.env}, args...)
			st := p.wait(exitTimeout)
			stderr := p.stderr.String()
			if c, ok := crashed(stderr); ok {
				t.Fatalf("tend crashed (status %d):\n%s", st, c)
			}
			if st != 125 {
				t.Errorf("tend exited %d; want 125\nstderr: %q", st, head(stderr, 500))
			}
			assertOneErrorLine(t, stderr)
			if alive := p.stdout.String(); alive != "" {
				t.Errorf("stdout = %q; want nothing", head(alive, 200))
			}
		})
	}
}

// TestStressHostileWorks: input that is odd but valid must work: very long
// arguments and environments (near ARG_MAX: 14 arguments of 128 KiB - 1,
// the most one argument may hold, and a large environment), every option
// given twice (the last value wins; repeatable ones add up), unknown TEND_*
// variables (ignored), empty boolean variables (false).
func TestStressHostileWorks(t *testing.T) {
	t.Parallel()
	const maxArg = 128<<10 - 1 // MAX_ARG_STRLEN less the NUL
	t.Run("long arguments", func(t *testing.T) {
		t.Parallel()
		args := []string{"/bin/sh", "-c", `n=0; for a; do n=$((n+${#a})); done; echo "$# $n"`, "sh"}
		for i := range 14 {
			args = append(args, strings.Repeat(string(rune('a'+i)), maxArg))
		}
		p := startPID1(t, runOpts{}, args...)
		p.expectLine(fmt.Sprintf("14 %d", 14*maxArg))
		p.waitStatus(exitTimeout, 0)
	})
	t.Run("long environment", func(t *testing.T) {
		t.Parallel()
		env := []string{"BIG=" + strings.Repeat("x", maxArg-len("BIG=")), "TEND_NO_SUCH_OPTION=" + junk}
		for i := range 4000 {
			env = append(env, "V"+strconv.Itoa(i)+"="+strings.Repeat("v", 100))
		}
		p := startPID1(t, runOpts{Env: env}, "/bin/sh", "-c", `echo "${#BIG} ${#V3999} $(env | grep -c '^V[0-9]*=')"`)
		p.expectLine(fmt.Sprintf("%d 100 4000", maxArg-len("BIG=")))
		p.waitStatus(exitTimeout, 0)
	})
	t.Run("empty boolean variables", func(t *testing.T) {
		t.Parallel()
		var env []string
		for _, v := range boolVariables {
			env = append(env, v+"=")
		}
		p := startPID1(t, runOpts{Env: env}, "/bin/sh", "-c", "exit 3")
		p.waitStatus(exitTimeout, 3)
	})
	t.Run("every option twice", func(t *testing.T) {
		t.Parallel()
		args := []string{
			"--forward", "child", "--forward", "group",
			"--rewrite", "USR1:USR2", "--rewrite", "HUP:none",
			"--remap-exit", "3:4", "--remap-exit", "5:6",
			"--grace", "1s", "--grace", "2s",
			"--no-subreaper", "--no-subreaper",
			"--pdeathsig", "TERM", "--pdeathsig", "INT",
			"--user", "65534", "--user", "0",
			"--workdir", "/", "--workdir", "/tmp",
			"--restart", "always", "--restart", "no",
			"--max-restarts", "1", "--max-restarts", "2",
			"--backoff-min", "1s", "--backoff-min", "2s",
			"--backoff-max", "1m", "--backoff-max", "2m",
			"--deadline", "1h", "--deadline", "2h",
			"--health-cmd", "true", "--health-cmd", "/bin/true",
			"--health-interval", "1h", "--health-interval", "2h",
			"--health-timeout", "1s", "--health-timeout", "2s",
			"--health-retries", "1", "--health-retries", "2",
			"--health-start-period", "0s", "--health-start-period", "1s",
			"--on-unhealthy", "restart", "--on-unhealthy", "exit",
			"--status-addr", "127.0.0.1:0", "--status-addr", "127.0.0.1:0",
			"--log-format", "json", "--log-format", "text",
			"--verbose", "--verbose",
			"/bin/sh", "-c", `echo "uid=$(id -u) pwd=$(pwd)"; exit 3`,
		}
		p := startPID1(t, runOpts{}, args...)
		p.expectLine("uid=0 pwd=/tmp")
		p.waitStatus(exitTimeout, 4)
		if !strings.HasPrefix(p.stderr.String(), "tend: ") {
			t.Errorf("stderr does not start with a text log line (--log-format text given last):\n%s", head(p.stderr.String(), 500))
		}
		checkNoPanic(t, p.stderr.String())
	})
}

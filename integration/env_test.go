//go:build linux

package integration

// TEND_* variables set every option (docker run --init passes no flags); a
// flag beats its variable.

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// envExit bounds a shutdown whose grace comes from a variable or a flag of
// at most 500ms, while the losing setting would be an hour (or the default
// 10s).
const envExit = 5 * time.Second

// TestEnvGrace: TEND_GRACE sets the grace; --grace beats it.
func TestEnvGrace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		args []string
	}{
		{"variable", []string{"TEND_GRACE=300ms"}, nil},
		{"flag beats variable", []string{"TEND_GRACE=1h"}, []string{"--grace", "300ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startPID1(t, runOpts{Env: tt.env}, append(tt.args, helperArgv("ignore-term")...)...)
			p.expectReady("")
			p.signal(unix.SIGTERM)
			p.waitStatus(envExit, 128+int(unix.SIGKILL))
		})
	}
}

// TestEnvForward: TEND_FORWARD=child forwards to the child alone;
// --forward=group beats it. The child relays USR2 to its grandchild as
// WINCH, which must be the grandchild's next line (see TestForwardChild).
func TestEnvForward(t *testing.T) {
	t.Parallel()
	trap := helperArgv("trap", "-label", "child", "-spawn", "grandchild", "-relay", "USR2:WINCH")
	t.Run("variable", func(t *testing.T) {
		t.Parallel()
		p := startPID1(t, runOpts{Env: []string{"TEND_FORWARD=child"}}, trap...)
		p.expectReady("grandchild")
		p.expectReady("child")
		p.signal(unix.SIGUSR1)
		p.expectLine("child SIGUSR1")
		p.signal(unix.SIGUSR2)
		p.expectLine("child SIGUSR2")
		p.expectLine("grandchild SIGWINCH")
	})
	t.Run("flag beats variable", func(t *testing.T) {
		t.Parallel()
		p := startPID1(t, runOpts{Env: []string{"TEND_FORWARD=child"}}, append([]string{"--forward=group"}, trap...)...)
		p.expectReady("grandchild")
		p.expectReady("child")
		p.signal(unix.SIGUSR1)
		p.expectLines("child SIGUSR1", "grandchild SIGUSR1")
	})
}

// TestEnvRewrite: TEND_REWRITE holds comma-separated rules; a --rewrite
// flag replaces the variable's rules entirely.
func TestEnvRewrite(t *testing.T) {
	t.Parallel()
	env := runOpts{Env: []string{"TEND_REWRITE=TERM:QUIT,INT:TERM"}}
	t.Run("TERM:QUIT", func(t *testing.T) {
		t.Parallel()
		runRewrite(t, env, nil, []rewriteStep{{unix.SIGTERM, "SIGQUIT"}})
	})
	t.Run("INT:TERM", func(t *testing.T) {
		t.Parallel()
		runRewrite(t, env, nil, []rewriteStep{{unix.SIGINT, "SIGTERM"}})
	})
	t.Run("flag beats variable", func(t *testing.T) {
		t.Parallel()
		runRewrite(t, env, []string{"--rewrite", "TERM:HUP"}, []rewriteStep{
			{unix.SIGINT, "SIGINT"}, // the variable's INT:TERM is gone
			{unix.SIGTERM, "SIGHUP"},
		})
	})
}

// TestEnvOthers: TEND_REMAP_EXIT and TEND_WORKDIR, and a flag beating
// TEND_WORKDIR.
func TestEnvOthers(t *testing.T) {
	t.Parallel()
	p := startTend(t, runOpts{Env: []string{"TEND_REMAP_EXIT=3:0"}}, "/bin/sh", "-c", "exit 3")
	p.waitStatus(exitTimeout, 0)

	p = startTend(t, runOpts{Env: []string{"TEND_WORKDIR=/tmp"}}, "/bin/sh", "-c", "pwd")
	p.waitStatus(exitTimeout, 0)
	if got := p.stdout.String(); got != "/tmp\n" {
		t.Errorf("TEND_WORKDIR=/tmp: child's directory = %q; want /tmp", got)
	}

	p = startTend(t, runOpts{Env: []string{"TEND_WORKDIR=/tmp"}}, "--workdir", "/", "/bin/sh", "-c", "pwd")
	p.waitStatus(exitTimeout, 0)
	if got := p.stdout.String(); got != "/\n" {
		t.Errorf("TEND_WORKDIR=/tmp --workdir /: child's directory = %q; want /", got)
	}
}

// TestEnvLogging: TEND_QUIET, TEND_LOG_FORMAT, and flags beating them.
func TestEnvLogging(t *testing.T) {
	t.Parallel()
	run := func(env []string, args ...string) []string {
		t.Helper()
		p := startTend(t, runOpts{Env: env}, append(args, "/bin/sh", "-c", "exit 0")...)
		p.waitStatus(exitTimeout, 0)
		return splitLines(p.stderr.String())
	}
	isJSON := func(lines []string) bool {
		for _, l := range lines {
			if !json.Valid([]byte(l)) || !strings.HasPrefix(l, "{") {
				return false
			}
		}
		return len(lines) > 0
	}
	if got := run([]string{"TEND_QUIET=true"}); len(got) != 0 {
		t.Errorf("TEND_QUIET=true: stderr %q; want nothing", got)
	}
	if got := run([]string{"TEND_QUIET=true"}, "--quiet=false"); len(got) == 0 {
		t.Errorf("TEND_QUIET=true --quiet=false: nothing on stderr; want the default events")
	}
	if got := run([]string{"TEND_LOG_FORMAT=json"}); !isJSON(got) {
		t.Errorf("TEND_LOG_FORMAT=json: stderr %q; want JSON lines", got)
	}
	if got := run([]string{"TEND_LOG_FORMAT=json"}, "--log-format", "text"); len(got) == 0 || len(tendLines(strings.Join(got, "\n"))) != len(got) {
		t.Errorf("TEND_LOG_FORMAT=json --log-format text: stderr %q; want text lines", got)
	}
}

// TestEnvUser: TEND_USER switches the child's user; --user beats it.
func TestEnvUser(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("switching users needs root")
	}
	p := startTend(t, runOpts{Env: []string{"TEND_USER=nobody"}}, "id", "-u")
	p.waitStatus(exitTimeout, 0)
	if got := p.stdout.String(); got != "65534\n" {
		t.Errorf("TEND_USER=nobody: child's uid = %q; want 65534", got)
	}
	p = startTend(t, runOpts{Env: []string{"TEND_USER=nobody"}}, "--user", "0:0", "id", "-u")
	p.waitStatus(exitTimeout, 0)
	if got := p.stdout.String(); got != "0\n" {
		t.Errorf("TEND_USER=nobody --user 0:0: child's uid = %q; want 0", got)
	}
}

//go:build linux

package integration

// --user switches the child to a user and group (names or numbers, with
// supplementary groups and HOME); --workdir sets its directory.

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// idScript prints what the user tests check about the child.
const idScript = `echo "uid=$(id -u) gid=$(id -g) groups=$(id -G) home=$HOME pwd=$(pwd)"`

func TestUserWorkdir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("switching users needs root")
	}
	tests := []struct {
		name string
		pid1 bool
		args []string
		want []string // fields of idScript's line that must appear
	}{
		{"name", false, []string{"--user", "nobody", "--workdir", "/tmp"},
			[]string{"uid=65534 gid=65534 groups=65534 home=/nonexistent pwd=/tmp"}},
		{"name as PID 1", true, []string{"--user", "nobody", "--workdir", "/tmp"},
			[]string{"uid=65534 gid=65534 groups=65534 home=/nonexistent pwd=/tmp"}},
		{"numbers", false, []string{"--user", "65534:65534", "--workdir", "/tmp"},
			[]string{"uid=65534 gid=65534 ", "pwd=/tmp"}},
		{"name:group", false, []string{"--user", "nobody:nogroup"}, []string{"uid=65534 gid=65534 "}},
		{"user with numeric group", false, []string{"--user", "nobody:0"}, []string{"uid=65534 gid=0 "}},
		{"workdir only", false, []string{"--workdir", "/tmp"}, []string{"uid=0 gid=0 ", "pwd=/tmp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append(tt.args, "/bin/sh", "-c", idScript)
			p := startEither(t, tt.pid1, runOpts{Env: []string{"HOME=/root"}}, args...)
			p.waitStatus(exitTimeout, 0)
			got := p.stdout.String()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("tend %s: child printed %q; want %q in it\nstderr:\n%s", strings.Join(tt.args, " "), got, w, p.stderr)
				}
			}
		})
	}
}

// TestWorkdirRelativePath: a relative PATH entry is searched in --workdir,
// where execve resolves it after the chdir, as execvp would (issue 12):
// tend in dir "top" with PATH=bin:/usr/bin:/bin and --workdir top/app runs
// top/app/bin/PROG, found there even when top/bin has no PROG; a program
// only in top/bin is not found (127).
func TestWorkdirRelativePath(t *testing.T) {
	t.Parallel()
	top := t.TempDir()
	app := filepath.Join(top, "app")
	script := func(dir, name, text string) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\necho "+text+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script(filepath.Join(app, "bin"), "apponly", "app-bin-apponly")
	script(filepath.Join(app, "bin"), "both", "app-bin-both")
	script(filepath.Join(top, "bin"), "both", "top-bin-both")
	script(filepath.Join(top, "bin"), "toponly", "top-bin-toponly")
	tests := []struct {
		cmd    string
		status int
		out    string
	}{
		{"apponly", 0, "app-bin-apponly"},
		{"both", 0, "app-bin-both"},
		{"toponly", 127, ""},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			t.Parallel()
			p := startTend(t, runOpts{Env: []string{"PATH=bin:/usr/bin:/bin"}, Dir: top}, "--workdir", app, tt.cmd)
			p.waitStatus(exitTimeout, tt.status)
			if got := strings.TrimSpace(p.stdout.String()); got != tt.out {
				t.Errorf("tend --workdir %s %s with PATH=bin:…: child printed %q; want %q\nstderr:\n%s", app, tt.cmd, got, tt.out, p.stderr)
			}
			if tt.status != 0 {
				assertOneErrorLine(t, p.stderr.String(), tt.cmd)
			}
		})
	}
}

// TestUserSetupFails: when the child's set-up before execve fails, that is
// tend failing before the command ran: 125 and one line naming the step
// and the value, not 126 (issue 12). setgroups is refused in a user
// namespace whose /proc/PID/setgroups is "deny" (as for a rootless
// container without the right); chdir into a directory closed to --user.
func TestUserSetupFails(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("mapping 65536 ids into a user namespace and switching users need root")
	}
	private := filepath.Join(t.TempDir(), "private")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	noSetgroups := func() *syscall.SysProcAttr {
		ids := []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}}
		return &syscall.SysProcAttr{
			Cloneflags:  syscall.CLONE_NEWUSER,
			UidMappings: ids, GidMappings: ids,
			GidMappingsEnableSetgroups: false, // writes "deny"
			Pdeathsig:                  syscall.SIGKILL,
		}
	}
	tests := []struct {
		name string
		attr *syscall.SysProcAttr
		args []string
		want []string // in the one error line
	}{
		{"setgroups denied", noSetgroups(), []string{"--user", "65534:65534"},
			[]string{"--user", "65534:65534", "setgroups [65534]", "operation not permitted"}},
		{"workdir closed to the user", &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
			[]string{"--user", "nobody", "--workdir", private},
			[]string{"--workdir", `chdir "` + private + `"`, "permission denied"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			argv := append(append([]string{tendBin}, tt.args...), "/bin/true")
			p := start(t, false, argv, append(tendEnv(nil), roleEnv+"=helper"), tt.attr, runOpts{})
			p.waitStatus(exitTimeout, 125)
			assertOneErrorLine(t, p.stderr.String(), tt.want...)
		})
	}
}

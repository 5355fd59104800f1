//go:build linux

package integration

// --user switches the child to a user and group (names or numbers, with
// supplementary groups and HOME); --workdir sets its directory.

import (
	"os"
	"strings"
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

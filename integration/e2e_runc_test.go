//go:build e2e && linux

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestE2ERuncExitStatus: tend as the process of an OCI bundle run by runc
// in the foreground: the container's status is the app's, or 128+N.
func TestE2ERuncExitStatus(t *testing.T) {
	t.Parallel()
	rc := e2eNewRunc(t)
	tests := []struct {
		name   string
		script string
		want   int
	}{
		{"zero", "exit 0", 0},
		{"seven", "exit 7", 7},
		{"SIGTERM", "kill -TERM $$", 128 + 15},
		{"SIGKILL", "kill -KILL $$", 128 + 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, id := rc.bundle("/tend", "--", "sh", "-c", tt.script)
			r := rc.runc(nil, "run", "--bundle", dir, id)
			if r.code != tt.want {
				t.Errorf("runc run (sh -c %q): exit %d; want %d\n%s", tt.script, r.code, tt.want, r)
			}
		})
	}
}

// TestE2ERuncDetached: `runc run -d`, then `runc exec` finds no zombie after
// the app made orphans, `runc kill TERM` makes the app print its shutdown
// line, and the container stops; cleanup runs `runc delete -f`.
func TestE2ERuncDetached(t *testing.T) {
	t.Parallel()
	rc := e2eNewRunc(t)
	dir, id := rc.bundle("/tend", "--grace=5s", "--", "sh", "-c",
		`trap 'echo app: shutting down; exit 0' TERM
		for i in $(seq 20); do (sleep 0.1 &); done
		echo app: ready
		while :; do sleep 0.1; done`)

	// With terminal false, the container's stdio is runc's: give it a file.
	out, err := os.Create(filepath.Join(dir, "output"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	readOut := func() string {
		b, err := os.ReadFile(out.Name())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cmd := rc.command("run", "--detach", "--bundle", dir, id)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		t.Fatalf("runc run --detach: %v\n%s", err, readOut())
	}
	waitFor(t, 20*time.Second, `"app: ready"`, func() bool { return strings.Contains(readOut(), "app: ready") })

	var procs []procStat
	if !poll(15*time.Second, func() bool {
		r := rc.runc(nil, "exec", id, "sh", "-c", e2eProcScript)
		procs = e2eParseStat(r.stdout)
		if len(procs) == 0 {
			t.Fatalf("runc exec: no processes read:\n%s", r)
		}
		for _, pr := range procs {
			if pr.Comm == "sleep" && pr.PPid == 1 {
				return false
			}
		}
		return len(zombies(procs)) == 0
	}) {
		t.Fatalf("timed out after 15s waiting for the orphans to exit and be reaped; processes:\n%s", e2eFormatProcs(procs))
	}

	if r := rc.runc(nil, "kill", id, "TERM"); r.code != 0 {
		t.Fatalf("runc kill TERM: %s", r)
	}
	waitFor(t, 10*time.Second, "the container to stop", func() bool { return rc.status(id) == "stopped" })
	if got := readOut(); !strings.Contains(got, "app: shutting down") {
		t.Errorf("no shutdown line from the app:\n%s", got)
	}
}

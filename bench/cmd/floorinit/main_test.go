package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// build compiles floorinit into a temporary directory.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "floorinit")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestExitStatus(t *testing.T) {
	bin := build(t)
	tests := []struct {
		name string
		argv []string
		want int
	}{
		{"exit 0", []string{"true"}, 0},
		{"exit 7", []string{"sh", "-c", "exit 7"}, 7},
		{"killed by SIGTERM", []string{"sh", "-c", "kill -TERM $$"}, 128 + 15},
		{"not found", []string{"floorinit-test-no-such-command"}, 127},
		{"no command", nil, 125},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			err := exec.CommandContext(ctx, bin, tt.argv...).Run()
			got := 0
			if ee, ok := err.(*exec.ExitError); ok {
				got = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("floorinit %q: exit %d; want %d", tt.argv, got, tt.want)
			}
		})
	}
}

// TestForwardsToGroup checks that a signal sent to floorinit reaches its
// child's process group, and that floorinit exits with the child's status.
func TestForwardsToGroup(t *testing.T) {
	bin := build(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// The shell runs its trap only once its foreground sleep has ended, and
	// only a signal to the whole group ends the sleep before the deadline.
	cmd := exec.CommandContext(ctx, bin, "sh", "-c", `trap 'exit 42' USR1; sleep 30`)
	// On the deadline, SIGTERM to floorinit ends the group too (forwarded).
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Signal only once the sleep runs: sent earlier, it would find the
	// shell alone and the sleep would start after it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if sh := childrenOf(t, cmd.Process.Pid); len(sh) == 1 && len(childrenOf(t, sh[0])) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the shell's sleep did not start within 5s")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 42 {
		t.Fatalf("floorinit after SIGUSR1: %v; want exit 42 (the trap of the child's shell)", err)
	}
}

// childrenOf lists the processes whose parent is pid, from /proc/*/stat.
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var kids []int
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// The fields after the command, which may hold spaces: state, ppid.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			kids = append(kids, n)
		}
	}
	return kids
}

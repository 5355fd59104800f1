//go:build linux

package integration

// --pause: no command; tend reaps what is reparented to it and exits 0 on
// SIGTERM or SIGINT.

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestPause runs tend --pause as PID 1, enters its namespace with nsenter
// to leave orphans there, waits until tend has reaped them all (which also
// proves its loop runs, so a signal sent now is not lost to start-up), then
// sends SIGTERM or SIGINT: tend exits 0.
func TestPause(t *testing.T) {
	t.Parallel()
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		t.Skip("no nsenter (util-linux) to make orphans in tend's namespace")
	}
	for _, sig := range []unix.Signal{unix.SIGTERM, unix.SIGINT} {
		t.Run(sigName(sig), func(t *testing.T) {
			t.Parallel()
			p := startPID1(t, runOpts{}, "--pause")
			ctx, cancel := context.WithTimeout(t.Context(), exitTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, nsenter, append(p.nsenterArgs(), "--", "/bin/sh", "-c", orphansScript, "sh", "50")...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("nsenter: %v\n%s", err, out)
			}
			var last []procStat
			if !poll(10*time.Second, func() bool {
				last = p.nsProcs()
				return len(last) == 1
			}) {
				t.Fatalf("10s after the orphans: namespace holds %v; want tend alone", last)
			}
			p.signal(sig)
			p.waitStatus(exitTimeout, 0)
		})
	}
}

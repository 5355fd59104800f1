package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// expect reads lines from rd until one starts with prefix, for at most d.
func expect(f *os.File, rd *bufio.Reader, prefix string, d time.Duration) (string, error) {
	if err := f.SetReadDeadline(time.Now().Add(d)); err != nil {
		return "", err
	}
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("waiting for %q: %w", prefix, err)
		}
		if strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(line), nil
		}
	}
}

// stormMetrics are the metrics one storm session records.
type stormMetrics struct {
	steady, peak, anon, file, after, peakAfter *Metric
	time, rate, cpu, cs                        []*Metric // one per storm size
}

func (sm *stormMetrics) all() []*Metric {
	out := []*Metric{sm.steady, sm.peak, sm.anon, sm.file, sm.after, sm.peakAfter}
	for _, l := range [][]*Metric{sm.time, sm.rate, sm.cpu, sm.cs} {
		out = append(out, l...)
	}
	return out
}

// measureStorm is metrics 2, 4 and the reaping part of 7: each init runs as
// PID 1 of a new PID namespace with benchchild storm as its child. After a
// settle time bench reads the init's RSS (and its anonymous and file-backed
// parts) while the child sleeps; then the child double-forks N orphans
// (reparented to the init) and releases them at once; bench counts them,
// zombies included, in a pids cgroup until the count is zero, and reads the
// init's CPU time around the storm. After the largest storm it reads the RSS
// again.
func (b *bench) measureStorm() {
	sm := &stormMetrics{
		steady: b.res.metric("rss", "RSS (VmRSS) while the child sleeps", "MiB"),
		peak:   b.res.metric("rss-peak", "peak RSS (VmHWM) while the child sleeps", "MiB"),
		anon:   b.res.metric("rss-anon", "RssAnon (anonymous part of VmRSS) while the child sleeps", "MiB"),
		file:   b.res.metric("rss-file", "RssFile (file-backed part of VmRSS: mostly the binary) while the child sleeps", "MiB"),
	}
	last := b.orphans[len(b.orphans)-1]
	sm.steady.Short = "RSS, child asleep"
	sm.anon.Short = "RssAnon, child asleep"
	sm.peak.Chart, sm.file.Chart = false, false
	sm.after = b.res.metric("rss-after", fmt.Sprintf("RSS after reaping %d zombies", last), "MiB")
	sm.peakAfter = b.res.metric("rss-peak-after", fmt.Sprintf("peak RSS (VmHWM) after reaping %d zombies", last), "MiB")
	sm.after.Short = fmt.Sprintf("RSS after %d reaps", last)
	sm.peakAfter.Chart = false
	for _, n := range b.orphans {
		t := b.res.metric(fmt.Sprintf("reap-%d", n), fmt.Sprintf("reaping %d orphans as PID 1: time until no zombie is left", n), "ms")
		t.Short = fmt.Sprintf("reaping %d orphans: time", n)
		sm.time = append(sm.time, t)
		r := b.res.metric(fmt.Sprintf("reap-rate-%d", n), fmt.Sprintf("reaping %d orphans: zombies reaped per second", n), "reaps/s")
		r.Higher = true
		r.Chart = false // the same figure as the time, inverted
		sm.rate = append(sm.rate, r)
	}
	for _, n := range b.orphans {
		c := b.res.metric(fmt.Sprintf("cpu-reap-%d", n), fmt.Sprintf("init CPU time per 10,000 reaps, %d-orphan storm", n), "ms")
		c.Short = fmt.Sprintf("CPU per 10,000 reaps, %d storm", n)
		sm.cpu = append(sm.cpu, c)
		w := b.res.metric(fmt.Sprintf("ctxsw-reap-%d", n), fmt.Sprintf("context switches of the init per 1,000 reaps, %d-orphan storm", n), "")
		w.Short = fmt.Sprintf("context switches per 1,000 reaps, %d storm", n)
		sm.cs = append(sm.cs, w)
	}

	cg, err := newPidsCgroup(fmt.Sprintf("tend-bench-%d", os.Getpid()))
	if err != nil {
		for _, m := range sm.all() {
			m.Skip = "no pids cgroup to count zombies: " + err.Error()
		}
		b.notef("storm metrics skipped: %v", err)
		return
	}
	b.cleanup(func() { cg.remove() })
	for r := range b.rounds {
		for j := range b.subs {
			s := b.subs[(j+r)%len(b.subs)]
			if err := b.stormSession(s, cg, r, sm); err != nil {
				b.progress("storm %s round %d: %v", s.name, r+1, err)
			}
		}
		b.progress("storm round %d/%d done", r+1, b.rounds)
	}
}

func (b *bench) stormSession(s subject, cg *pidsCgroup, r int, sm *stormMetrics) (err error) {
	round := fmt.Sprintf("round %d", r+1)
	defer func() {
		if err != nil {
			for _, m := range sm.all() { // figures are recorded only when every check passed
				m.fail(s.name, round+": "+err.Error())
			}
		}
	}()
	if n, err := cg.count(); err != nil || n != 0 {
		return fmt.Errorf("pids cgroup not empty before the session: %d %v", n, err)
	}
	p, err := spawn(s.argv(b.child, "storm", cg.procs()), true, true, filepath.Join(b.tmp, s.name+"-storm.err"))
	if err != nil {
		return err
	}
	b.track(p)
	defer b.untrack(p)
	defer p.kill()
	rd := bufio.NewReader(p.stdout)
	if _, err := expect(p.stdout, rd, "ready", 10*time.Second); err != nil {
		return fmt.Errorf("%w (stderr: %s)", err, p.stderr())
	}
	time.Sleep(b.settle)
	asleep, err := memory(p.pid)
	if err != nil {
		return err
	}
	type storm struct{ ms, rate, cpu10k, cs1k float64 }
	var got []storm
	for _, n := range b.orphans {
		if _, err := fmt.Fprintf(p.stdin, "arm %d\n", n); err != nil {
			return err
		}
		if _, err := expect(p.stdout, rd, "armed", 60*time.Second); err != nil {
			return fmt.Errorf("%w (stderr: %s)", err, p.stderr())
		}
		// Every orphan must be alive and counted before the release.
		if c, err := cg.count(); err != nil || c != n {
			return fmt.Errorf("armed %d orphans but the cgroup counts %d (%v)", n, c, err)
		}
		cpu0, err := cpuTime(p.pid)
		if err != nil {
			return err
		}
		cs0, _, err := ctxSwitches(p.pid)
		if err != nil {
			return err
		}
		t0 := time.Now()
		if _, err := fmt.Fprintln(p.stdin, "go"); err != nil {
			return err
		}
		deadline := t0.Add(60 * time.Second)
		left := n
		for left > 0 {
			if left, err = cg.count(); err != nil {
				return err
			}
			if left > 0 {
				if time.Now().After(deadline) {
					return fmt.Errorf("%d of %d orphans still unreaped (zombies) after 60s", left, n)
				}
				time.Sleep(100 * time.Microsecond)
			}
		}
		el := time.Since(t0)
		time.Sleep(20 * time.Millisecond) // let the init finish what the last reap started
		cpu1, err := cpuTime(p.pid)
		if err != nil {
			return err
		}
		cs1, _, err := ctxSwitches(p.pid)
		if err != nil {
			return err
		}
		if p.poll() {
			return fmt.Errorf("init exited during the storm: %v", p.ws)
		}
		if _, err := expect(p.stdout, rd, "released", 10*time.Second); err != nil {
			return err
		}
		got = append(got, storm{ms: float64(el) / 1e6, rate: float64(n) / el.Seconds(), cpu10k: float64(cpu1-cpu0) / 1e6 * 10000 / float64(n), cs1k: float64(cs1-cs0) * 1000 / float64(n)})
	}
	after, err := memory(p.pid)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(p.stdin, "exit"); err != nil {
		return err
	}
	if err := p.wait(10 * time.Second); err != nil {
		return err
	}
	if !p.ws.Exited() || p.ws.ExitStatus() != 0 {
		return fmt.Errorf("init exited with %v, want 0 (stderr: %s)", p.ws, p.stderr())
	}
	if c, err := cg.count(); err != nil || c != 0 {
		return errors.New("processes left in the pids cgroup after the init exited")
	}
	// Every check passed: record the session.
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	sm.steady.add(s.name, mib(asleep.rss))
	sm.peak.add(s.name, mib(asleep.hwm))
	sm.anon.add(s.name, mib(asleep.anon))
	sm.file.add(s.name, mib(asleep.file))
	sm.after.add(s.name, mib(after.rss))
	sm.peakAfter.add(s.name, mib(after.hwm))
	for i, g := range got {
		sm.time[i].add(s.name, g.ms)
		sm.rate[i].add(s.name, g.rate)
		sm.cpu[i].add(s.name, g.cpu10k)
		sm.cs[i].add(s.name, g.cs1k)
	}
	return nil
}

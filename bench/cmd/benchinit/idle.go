package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"
)

// measureIdle is metric 6: every init runs at once, as PID 1 of its own PID
// namespace, with /bin/sleep infinity as its child; after a warm-up, bench
// sums the context switches over all the init's threads and reads its CPU
// time at both ends of one window (b.idle) while it does nothing else. The
// window counts only if it really was idle: the same single child, still
// asleep, and the init alive and asleep at both ends.
func (b *bench) measureIdle() {
	win := fmt.Sprintf("%gs window", b.idle.Seconds())
	mW := b.res.metric("idle-wakeups", "idle: context switches per minute, all threads ("+win+")", "/min")
	mC := b.res.metric("idle-cpu", "idle: CPU time per minute ("+win+")", "ms/min")
	mW.Short, mC.Short = "idle: context switches", "idle: CPU time"
	mT := b.res.metric("threads", "threads of the init while idle", "")
	mT.Chart = false
	type run struct {
		s     subject
		p     *proc
		kids  []int
		c0    int64
		cpu0  time.Duration
		th    int
		err   error
		start time.Time
	}
	var runs []*run
	for _, s := range b.subs {
		p, err := spawn(s.argv("/bin/sleep", "infinity"), true, false, filepath.Join(b.tmp, s.name+"-idle.err"))
		if err != nil {
			mW.fail(s.name, err.Error())
			continue
		}
		b.track(p)
		runs = append(runs, &run{s: s, p: p})
	}
	defer func() {
		for _, r := range runs {
			r.p.kill()
			b.untrack(r.p)
		}
	}()
	time.Sleep(b.warm)
	asleep := func(r *run) error {
		if r.p.poll() {
			return fmt.Errorf("init exited: %v (stderr: %s)", r.p.ws, r.p.stderr())
		}
		kids, err := childrenOf(r.p.pid)
		if err != nil {
			return err
		}
		if len(kids) != 1 || (r.kids != nil && !slices.Equal(kids, r.kids)) {
			return fmt.Errorf("children %v, want the one sleeper %v", kids, r.kids)
		}
		r.kids = kids
		if st, err := state(kids[0]); err != nil || st != "S" {
			return fmt.Errorf("child state %q (%v), want S", st, err)
		}
		if st, err := state(r.p.pid); err != nil || st != "S" {
			return fmt.Errorf("init state %q (%v), want S", st, err)
		}
		return nil
	}
	for _, r := range runs {
		if r.err = asleep(r); r.err != nil {
			continue
		}
		r.c0, r.th, r.err = ctxSwitches(r.p.pid)
		if r.err == nil {
			r.cpu0, r.err = cpuTime(r.p.pid)
		}
		r.start = time.Now()
	}
	b.progress("idle: %v window started", b.idle)
	time.Sleep(b.idle)
	for _, r := range runs {
		if r.err != nil {
			mW.fail(r.s.name, r.err.Error())
			continue
		}
		c1, th, err := ctxSwitches(r.p.pid)
		var cpu1 time.Duration
		if err == nil {
			cpu1, err = cpuTime(r.p.pid)
		}
		win := time.Since(r.start)
		if err == nil {
			err = asleep(r)
		}
		if err != nil {
			mW.fail(r.s.name, "window not idle: "+err.Error())
			mC.fail(r.s.name, "window not idle: "+err.Error())
			continue
		}
		perMin := time.Minute.Seconds() / win.Seconds()
		mW.add(r.s.name, float64(c1-r.c0)*perMin)
		mC.add(r.s.name, float64(cpu1-r.cpu0)/1e6*perMin)
		mT.add(r.s.name, float64(max(th, r.th)))
	}
}

package main

import (
	"fmt"
	"path/filepath"
	"runtime"
	"syscall"
	"time"
)

// measureForward is metric 5: SIGUSR1 sent to the init (PID 1 of a new PID
// namespace) must reach benchchild echo, which answers with one byte on its
// stdout; the same signal sent to the child directly is the floor. The two
// paths alternate, b.rtts round trips each, one round trip at a time, so no
// signal can coalesce with another. Each round has two sessions per init:
// one free to use any CPU, and one with the driver's thread, the init and
// its child pinned to the same CPU (the lean-core target, issue 11), where
// no wake-up crosses CPUs and the figure is the init's own work.
func (b *bench) measureForward() {
	m50 := b.res.metric("fwd-p50", "signal round trip through the init, p50", "µs")
	m99 := b.res.metric("fwd-p99", "signal round trip through the init, p99", "µs")
	o50 := b.res.metric("fwd-over-p50", "forwarding overhead, p50 (through the init minus direct)", "µs")
	o99 := b.res.metric("fwd-over-p99", "forwarding overhead, p99 (through the init minus direct)", "µs")
	o50.Short, o99.Short = "forwarding overhead, p50", "forwarding overhead, p99"
	m50.Floor, m99.Floor = "child signalled directly", "child signalled directly"
	m50.Chart, m99.Chart = false, false
	cs := b.res.metric("fwd-ctxsw", "context switches of the init per forwarded signal (all threads)", "")
	cpu := b.res.metric("fwd-cpu", "init CPU time per forwarded signal", "µs")
	cs.Short, cpu.Short = "context switches per forwarded signal", "CPU per forwarded signal"
	s50 := b.res.metric("fwd-same-p50", "signal round trip through the init, p50, all on one CPU", "µs")
	so50 := b.res.metric("fwd-same-over-p50", "forwarding overhead, p50, all on one CPU (through the init minus direct)", "µs")
	so99 := b.res.metric("fwd-same-over-p99", "forwarding overhead, p99, all on one CPU (through the init minus direct)", "µs")
	s50.Floor = "child signalled directly"
	s50.Chart, so99.Chart = false, false
	so50.Short = "forwarding overhead, p50, one CPU"
	pin := -1
	runtime.LockOSThread()
	if set, err := threadAffinity(); err != nil {
		b.notef("fwd-same: no CPU to pin to: %v", err)
	} else {
		pin = set.last()
		b.notef("fwd-same: the driver's measuring thread, the init and its child pinned to CPU %d", pin)
	}
	runtime.UnlockOSThread()
	for r := range b.rounds {
		var d50s, d99s, sd50s []float64
		for j := range b.subs {
			s := b.subs[(j+r)%len(b.subs)]
			via, direct, perSig, err := b.forwardSession(s, -1)
			if err != nil {
				for _, m := range []*Metric{m50, m99, o50, o99, cs, cpu} {
					m.fail(s.name, fmt.Sprintf("round %d: %v", r+1, err))
				}
				b.progress("forward %s round %d: %v", s.name, r+1, err)
			} else {
				v50, v99 := quantile(via, .50), quantile(via, .99)
				d50, d99 := quantile(direct, .50), quantile(direct, .99)
				m50.add(s.name, v50)
				m99.add(s.name, v99)
				d50s, d99s = append(d50s, d50), append(d99s, d99)
				o50.add(s.name, v50-d50)
				o99.add(s.name, v99-d99)
				cs.add(s.name, perSig.ctxsw)
				cpu.add(s.name, perSig.cpuUS)
			}
			if pin < 0 {
				continue
			}
			via, direct, _, err = b.forwardSession(s, pin)
			if err != nil {
				for _, m := range []*Metric{s50, so50, so99} {
					m.fail(s.name, fmt.Sprintf("round %d, one CPU: %v", r+1, err))
				}
				b.progress("forward %s round %d, one CPU: %v", s.name, r+1, err)
				continue
			}
			v50 := quantile(via, .50)
			d50 := quantile(direct, .50)
			s50.add(s.name, v50)
			sd50s = append(sd50s, d50)
			so50.add(s.name, v50-d50)
			so99.add(s.name, quantile(via, .99)-quantile(direct, .99))
		}
		if len(d50s) > 0 { // the floor of the round: the median session's direct figures
			m50.add(floor, quantile(d50s, .5))
			m99.add(floor, quantile(d99s, .5))
		}
		if len(sd50s) > 0 {
			s50.add(floor, quantile(sd50s, .5))
		}
		b.progress("forward round %d/%d done", r+1, b.rounds)
	}
	if pin < 0 {
		for _, m := range []*Metric{s50, so50, so99} {
			m.Skip = "no CPU to pin to"
		}
	}
}

// perSignal is what one forwarded signal costs the init.
type perSignal struct{ ctxsw, cpuUS float64 }

// forwardSession times b.rtts round trips each way with s as PID 1. With pin
// >= 0 the calling thread is pinned to that CPU before it starts the init,
// which inherits the mask (and passes it to its child), and it waits for each
// answer blocked in select(2) on that thread.
func (b *bench) forwardSession(s subject, pin int) (via, direct []float64, cost perSignal, err error) {
	if pin >= 0 {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		old, err := threadAffinity()
		if err != nil {
			return nil, nil, cost, err
		}
		if err := setThreadAffinity(only(pin)); err != nil {
			return nil, nil, cost, err
		}
		defer func() {
			if rerr := setThreadAffinity(old); rerr != nil && err == nil {
				err = rerr
			}
		}()
	}
	p, err := spawn(s.argv(b.child, "echo"), true, true, filepath.Join(b.tmp, s.name+"-echo.err"))
	if err != nil {
		return nil, nil, cost, err
	}
	b.track(p)
	defer b.untrack(p)
	defer p.kill()
	buf := make([]byte, 1)
	read := func(d time.Duration) (byte, error) {
		if pin >= 0 {
			return readByteBlocking(p.stdout, d)
		}
		if err := p.stdout.SetReadDeadline(time.Now().Add(d)); err != nil {
			return 0, err
		}
		if _, err := p.stdout.Read(buf); err != nil {
			return 0, err
		}
		return buf[0], nil
	}
	if c, err := read(10 * time.Second); err != nil || c != 'r' {
		return nil, nil, cost, fmt.Errorf("child not ready: %q %v (stderr: %s)", c, err, p.stderr())
	}
	kids, err := childrenOf(p.pid)
	if err != nil || len(kids) != 1 {
		return nil, nil, cost, fmt.Errorf("init has children %v (%v), want exactly one", kids, err)
	}
	child := kids[0]
	c0, _, err := ctxSwitches(p.pid)
	if err != nil {
		return nil, nil, cost, err
	}
	cpu0, err := cpuTime(p.pid)
	if err != nil {
		return nil, nil, cost, err
	}
	trip := func(pid int) (float64, error) {
		t0 := time.Now()
		if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
			return 0, err
		}
		c, err := read(2 * time.Second)
		d := time.Since(t0)
		if err != nil {
			return 0, fmt.Errorf("signal not answered: %w", err)
		}
		if c != 'u' {
			return 0, fmt.Errorf("child answered %q, want 'u'", c)
		}
		return float64(d) / 1e3, nil
	}
	for i := range 50 + b.rtts { // the first 50 of each warm up
		order := []int{p.pid, child}
		if i%2 == 1 {
			order = []int{child, p.pid}
		}
		for _, pid := range order {
			d, err := trip(pid)
			if err != nil {
				return nil, nil, cost, fmt.Errorf("round trip %d: %w", i+1, err)
			}
			if i < 50 {
				continue
			}
			if pid == child {
				direct = append(direct, d)
			} else {
				via = append(via, d)
			}
		}
	}
	c1, _, err := ctxSwitches(p.pid)
	if err != nil {
		return nil, nil, cost, err
	}
	cpu1, err := cpuTime(p.pid)
	if err != nil {
		return nil, nil, cost, err
	}
	n := float64(50 + b.rtts) // signals sent to the init
	cost = perSignal{ctxsw: float64(c1-c0) / n, cpuUS: float64(cpu1-cpu0) / 1e3 / n}
	p.stdin.Close()
	p.stdin = nil
	if err := p.wait(5 * time.Second); err != nil {
		return nil, nil, cost, err
	}
	if len(via) != b.rtts || len(direct) != b.rtts {
		return nil, nil, cost, fmt.Errorf("%d/%d answers, want %d", len(via), len(direct), b.rtts)
	}
	return via, direct, cost, nil
}

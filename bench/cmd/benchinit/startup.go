package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"syscall"
	"time"
)

// runOnce is the wall time of starting argv and reaping it, which must exit 0.
func runOnce(argv []string, ns bool) (time.Duration, error) {
	attr := &syscall.ProcAttr{Env: env, Files: []uintptr{devNull.Fd(), devNull.Fd(), devNull.Fd()}, Sys: &syscall.SysProcAttr{}}
	if ns {
		attr.Sys.Cloneflags = syscall.CLONE_NEWPID
	}
	t0 := time.Now()
	pid, err := syscall.ForkExec(argv[0], argv, attr)
	if err != nil {
		return 0, err
	}
	var ws syscall.WaitStatus
	for {
		_, err = syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			break
		}
	}
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return 0, fmt.Errorf("exit status %v", ws)
	}
	return d, nil
}

// measureStartup is metric 1: wall time of INIT -- /bin/true minus the
// floor (/bin/true alone), outside and inside a new PID namespace. Each round
// runs every subject b.runs times, interleaved (A B C … A B C …, rotated by
// one each time); a round's figure is the median of its runs minus the
// median of the floor's runs in the same round.
func (b *bench) measureStartup() {
	subs := append([]subject{{name: floor}}, b.subs...)
	truePath := "/bin/true"
	for _, ns := range []bool{false, true} {
		id, title := "startup", "start-up + exit overhead, no PID namespace"
		if ns {
			id, title = "startup-ns", "start-up + exit overhead, as PID 1 of a new PID namespace"
		}
		m := b.res.metric(id, title, "ms")
		m.Floor = "/bin/true alone"
		m.Short = map[bool]string{false: "start-up + exit, no namespace", true: "start-up + exit, PID namespace"}[ns]
		// Check each command line once, keeping what it says on stderr.
		for _, s := range subs {
			p, err := spawn(s.argv(truePath), ns, false, filepath.Join(b.tmp, s.name+"-true.err"))
			if err == nil {
				err = p.wait(5 * time.Second)
				if err == nil && (!p.ws.Exited() || p.ws.ExitStatus() != 0) {
					err = fmt.Errorf("exit status %v", p.ws)
				}
			}
			if err != nil {
				b.notef("%s: %s -- /bin/true failed (%v): %s", id, s.name, err, p.stderr())
			} else if line := p.stderr(); line != "" {
				b.notef("%s: %s writes to stderr on every run: %q", id, s.name, line)
			}
		}
		for r := range b.rounds {
			samples := map[string][]float64{}
			for k := range b.runs {
				for j := range subs {
					s := subs[(j+k+r)%len(subs)]
					d, err := runOnce(s.argv(truePath), ns)
					if err != nil {
						m.fail(s.name, fmt.Sprintf("round %d: %v", r+1, err))
						continue
					}
					samples[s.name] = append(samples[s.name], float64(d)/1e6)
				}
			}
			fl := samples[floor]
			if len(fl) < b.runs {
				m.fail(floor, fmt.Sprintf("round %d: floor runs failed", r+1))
				continue
			}
			sort.Float64s(fl)
			base := median(fl)
			m.add(floor, base)
			for _, s := range b.subs {
				v := samples[s.name]
				if len(v) < b.runs { // every run must have exited 0
					m.fail(s.name, fmt.Sprintf("round %d: %d of %d runs failed", r+1, b.runs-len(v), b.runs))
					continue
				}
				v = slices.Sorted(slices.Values(v))
				m.add(s.name, median(v)-base)
			}
			b.progress("%s round %d/%d: floor %.3f ms", id, r+1, b.rounds, base)
		}
	}
}

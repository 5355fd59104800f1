package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// measureProbes is the probe part of metric 7 (tend only): tend runs as PID 1
// of a new PID namespace with /bin/sleep infinity as its child and one kind of
// health probe at a short interval; bench counts the probes on its side (a
// file that each --health-cmd run appends a byte to, an HTTP server, a TCP
// listener) and reads tend's CPU time at both ends of b.probes probes. When
// tend rejects the flags (before issue 3), the rows are skipped with tend's
// own error line as the note.
func (b *bench) measureProbes() {
	var tend *subject
	for i := range b.subs {
		if b.subs[i].name == "tend" {
			tend = &b.subs[i]
		}
	}
	for _, kind := range []string{"cmd", "http", "tcp"} {
		m := b.res.metric("cpu-probe-"+kind, fmt.Sprintf("tend CPU time per 1,000 --health-%s probes", kind), "ms")
		m.Chart = false
		if tend == nil {
			m.Skip = "tend not built"
			continue
		}
		if err := b.probeSession(*tend, kind, m); err != nil {
			m.Skip = err.Error()
			b.progress("probes %s: %v", kind, err)
		}
	}
}

func (b *bench) probeSession(s subject, kind string, m *Metric) error {
	var count atomic.Int64
	var arg string
	var stop func()
	switch kind {
	case "cmd":
		file := filepath.Join(b.tmp, "probes")
		os.Remove(file)
		arg = b.child + " probe " + file
		stopc := make(chan struct{})
		go func() { // the file's size is the probe count
			for {
				select {
				case <-stopc:
					return
				case <-time.After(time.Millisecond):
				}
				if st, err := os.Stat(file); err == nil {
					count.Store(st.Size())
				}
			}
		}()
		stop = func() { close(stopc) }
	case "http":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			count.Add(1)
			w.WriteHeader(http.StatusOK)
		}), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		arg = "http://" + ln.Addr().String() + "/healthz"
		stop = func() { srv.Close() }
	case "tcp":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				count.Add(1)
				c.Close()
			}
		}()
		arg = ln.Addr().String()
		stop = func() { ln.Close() }
	}
	defer stop()

	var p *proc
	var interval string
	var rejected string
	for _, iv := range []string{"5ms", "20ms", "100ms", "1s"} {
		argv := append([]string{s.path, "--health-" + kind, arg, "--health-interval", iv, "--"}, "/bin/sleep", "infinity")
		q, err := spawn(argv, true, false, filepath.Join(b.tmp, "tend-probe-"+kind+".err"))
		if err != nil {
			return err
		}
		b.track(q)
		time.Sleep(300 * time.Millisecond)
		if !q.poll() {
			p, interval = q, iv
			break
		}
		b.untrack(q)
		q.kill()
		rejected = fmt.Sprintf("tend rejected --health-%s (exit %d): %s", kind, q.ws.ExitStatus(), q.stderr())
		if !strings.Contains(q.stderr(), "interval") {
			break // the flag itself is unknown: no interval will help
		}
	}
	if p == nil {
		return fmt.Errorf("skipped: %s", rejected)
	}
	defer b.untrack(p)
	defer p.kill()

	waitCount := func(n int64, until time.Time) int64 {
		for time.Now().Before(until) && count.Load() < n && !p.poll() {
			time.Sleep(time.Millisecond)
		}
		return count.Load()
	}
	if c := waitCount(20, time.Now().Add(10*time.Second)); c < 20 {
		return fmt.Errorf("only %d probes in 10s at --health-interval %s (stderr: %s)", c, interval, p.stderr())
	}
	c0 := count.Load()
	cpu0, err := cpuTime(p.pid)
	if err != nil {
		return err
	}
	t0 := time.Now()
	c1 := waitCount(c0+int64(b.probes), t0.Add(b.probeWindow))
	cpu1, err := cpuTime(p.pid)
	el := time.Since(t0)
	if err != nil || p.poll() {
		return fmt.Errorf("tend exited while probing: %v %v (stderr: %s)", err, p.ws, p.stderr())
	}
	n := c1 - c0
	if n < 100 {
		return fmt.Errorf("only %d probes in %v at --health-interval %s", n, el.Round(time.Millisecond), interval)
	}
	if kids, err := childrenOf(p.pid); err != nil || len(kids) < 1 {
		return fmt.Errorf("the child is gone: %v %v", kids, err)
	}
	m.add(s.name, float64(cpu1-cpu0)/1e6*1000/float64(n))
	b.notef("cpu-probe-%s: %d probes in %v at --health-interval %s", kind, n, el.Round(time.Millisecond), interval)
	return nil
}

// Command benchinit measures tend side by side with tini, tini-static,
// dumb-init and catatonit, the Go floor (bench/cmd/floorinit, a reference
// Go init, issue 11), plus the command run with no init as the floor
// (issue 5). bench/run.sh builds and runs it; see bench/README.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// bench holds the settings and the state of one run.
type bench struct {
	res   *Results
	subs  []subject
	tmp   string
	child string // the benchchild binary

	rounds, runs, rtts, probes int
	orphans                    []int
	idle, warm, settle         time.Duration
	probeWindow                time.Duration

	mu       sync.Mutex
	live     map[*proc]bool
	cleanups []func()
	t0       time.Time
}

func main() {
	os.Exit(run())
}

func run() int {
	quick := os.Getenv("BENCH_QUICK") == "1"
	b := &bench{res: &Results{}, live: map[*proc]bool{}, t0: time.Now()}
	var out, tend, floorInit string
	var plotOnly bool
	var phases string
	flag.StringVar(&out, "out", "bench", "directory for results.md, results.json and ratios.svg")
	flag.StringVar(&tend, "tend", "bin/tend", "the tend binary")
	flag.StringVar(&floorInit, "floor", "bench/.bin/floorinit", "the floorinit binary (the Go floor, static)")
	flag.StringVar(&b.child, "child", "bench/.bin/benchchild", "the benchchild binary (static)")
	flag.BoolVar(&plotOnly, "plot-only", false, "redraw ratios.svg and results.md from results.json")
	flag.IntVar(&b.rounds, "rounds", envInt("BENCH_ROUNDS", pick(quick, 3, 5)), "rounds (env BENCH_ROUNDS)")
	flag.IntVar(&b.runs, "runs", envInt("BENCH_RUNS", pick(quick, 40, 100)), "start-up runs per init per round (env BENCH_RUNS)")
	flag.IntVar(&b.rtts, "rtts", envInt("BENCH_RTTS", 2000), "signal round trips per init per round (env BENCH_RTTS)")
	flag.IntVar(&b.probes, "probes", envInt("BENCH_PROBES", 1000), "health probes to time, per kind (env BENCH_PROBES)")
	flag.DurationVar(&b.idle, "idle", envDur("BENCH_IDLE", pick(quick, 10*time.Second, 60*time.Second)), "idle window (env BENCH_IDLE)")
	flag.DurationVar(&b.probeWindow, "probe-window", envDur("BENCH_PROBE_WINDOW", pick(quick, 10*time.Second, 30*time.Second)), "longest time spent counting probes of one kind")
	flag.StringVar(&phases, "phases", envStr("BENCH_PHASES", "size,startup,storm,forward,idle,probes"), "phases to run (env BENCH_PHASES)")
	orphans := flag.String("orphans", envStr("BENCH_ORPHANS", "1000,10000"), "orphan storm sizes, ascending (env BENCH_ORPHANS)")
	flag.Parse()
	if quick {
		b.res.Notes = append(b.res.Notes, "BENCH_QUICK=1: fewer rounds and runs and a shorter idle window; use a full run for published figures")
	}
	for f := range strings.SplitSeq(*orphans, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "benchinit: bad orphan count %q\n", f)
			return 2
		}
		b.orphans = append(b.orphans, n)
	}
	b.warm = pick(quick, time.Second, 3*time.Second)
	b.settle = 500 * time.Millisecond

	if plotOnly {
		r, err := load(filepath.Join(out, "results.json"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchinit:", err)
			return 1
		}
		if err := write(r, out, false); err != nil {
			fmt.Fprintln(os.Stderr, "benchinit:", err)
			return 1
		}
		return 0
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "benchinit: needs root (PID namespaces, a pids cgroup)")
		return 1
	}
	var err error
	if devNull, err = os.OpenFile(os.DevNull, os.O_RDWR, 0); err != nil {
		fmt.Fprintln(os.Stderr, "benchinit:", err)
		return 1
	}
	if b.child, err = filepath.Abs(b.child); err != nil {
		fmt.Fprintln(os.Stderr, "benchinit:", err)
		return 1
	}
	if tend, err = filepath.Abs(tend); err != nil {
		fmt.Fprintln(os.Stderr, "benchinit:", err)
		return 1
	}
	if floorInit, err = filepath.Abs(floorInit); err != nil {
		fmt.Fprintln(os.Stderr, "benchinit:", err)
		return 1
	}
	if b.tmp, err = os.MkdirTemp("", "tend-bench-"); err != nil {
		fmt.Fprintln(os.Stderr, "benchinit:", err)
		return 1
	}
	b.cleanup(func() { os.RemoveAll(b.tmp) })
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigc
		fmt.Fprintf(os.Stderr, "benchinit: %v: stopping what it started\n", s)
		b.finish()
		os.Exit(130)
	}()
	defer b.finish()

	b.subs = findSubjects(tend, floorInit, &b.res.Notes)
	b.describe()
	for ph := range strings.SplitSeq(phases, ",") {
		t := time.Now()
		switch strings.TrimSpace(ph) {
		case "size":
			b.measureSize()
		case "startup":
			b.measureStartup()
		case "storm":
			b.measureStorm()
		case "forward":
			b.measureForward()
		case "idle":
			b.measureIdle()
		case "probes":
			b.measureProbes()
		default:
			fmt.Fprintf(os.Stderr, "benchinit: unknown phase %q\n", ph)
			return 2
		}
		b.progress("phase %s took %v", ph, time.Since(t).Round(time.Millisecond))
	}
	b.res.Elapsed = time.Since(b.t0).Round(time.Second).String()
	if err := write(b.res, out, true); err != nil {
		fmt.Fprintln(os.Stderr, "benchinit:", err)
		return 1
	}
	return 0
}

// write saves results.json (when save is set), results.md and ratios.svg,
// and prints the markdown.
func write(r *Results, out string, save bool) error {
	if save {
		if err := r.save(filepath.Join(out, "results.json")); err != nil {
			return err
		}
	}
	md := markdown(r)
	if err := os.WriteFile(filepath.Join(out, "results.md"), []byte(md), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "ratios.svg"), []byte(chart(r)), 0o644); err != nil {
		return err
	}
	fmt.Print(md)
	return nil
}

// track remembers a live process so that an interrupt can kill it.
func (b *bench) track(p *proc) {
	b.mu.Lock()
	b.live[p] = true
	b.mu.Unlock()
}

func (b *bench) untrack(p *proc) {
	b.mu.Lock()
	delete(b.live, p)
	b.mu.Unlock()
}

func (b *bench) cleanup(f func()) {
	b.mu.Lock()
	b.cleanups = append(b.cleanups, f)
	b.mu.Unlock()
}

// finish kills every process bench started and is still running (each by
// its pid: each is PID 1 of its own namespace, so the kernel ends the rest),
// then runs the cleanups in reverse.
func (b *bench) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for p := range b.live {
		p.kill()
	}
	b.live = map[*proc]bool{}
	for i := len(b.cleanups) - 1; i >= 0; i-- {
		b.cleanups[i]()
	}
	b.cleanups = nil
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench %6.1fs: %s\n", time.Since(b.t0).Seconds(), fmt.Sprintf(format, args...))
}

func (b *bench) notef(format string, args ...any) {
	b.mu.Lock()
	b.res.Notes = append(b.res.Notes, fmt.Sprintf(format, args...))
	b.mu.Unlock()
}

// measureSize is metric 3: the size of each binary and whether it is static.
func (b *bench) measureSize() {
	m := b.res.metric("size", "binary size", "MiB")
	m.Short = "binary size"
	for _, s := range b.subs {
		st, err := os.Stat(s.path)
		if err != nil {
			m.fail(s.name, err.Error())
			continue
		}
		m.add(s.name, float64(st.Size())/(1<<20))
	}
}

func pick[T any](cond bool, a, b T) T {
	if cond {
		return a
	}
	return b
}

func envStr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil && n > 0 {
		return n
	}
	return def
}

func envDur(k string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(k)); err == nil && d > 0 {
		return d
	}
	return def
}

//go:build stress && linux

package integration

// Fork storms: many orphans exiting at the same moment (their SIGCHLDs
// coalesce into a few), and a steady stream of orphans for a while.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerHelper("stress-park", helperPark)
	registerHelper("stress-rate", helperRate)
}

// parkScript double-forks $2 orphans that each block opening the FIFO $1
// for reading; once a writer opens and closes it they all read EOF and exit
// together. Then it prints "parked N" and execs the rest of its arguments.
const parkScript = `fifo=$1; n=$2; shift 2
i=0
while [ "$i" -lt "$n" ]; do ( read _ <"$fifo" & ); i=$((i+1)); done
echo "parked $n"
exec "$@"`

// helperPark: FIFO N ARGV...: parkScript in /bin/sh.
func helperPark(args []string) int {
	if len(args) < 3 {
		return usageFail("stress-park FIFO N ARGV...")
	}
	argv := append([]string{"sh", "-c", parkScript, "sh"}, args...)
	err := syscall.Exec("/bin/sh", argv, os.Environ())
	fmt.Fprintf(os.Stderr, harnessPrefix+"stress-park: exec /bin/sh: %v\n", err)
	return 2
}

// TestStressOrphanBurst: the child parks N orphans (reparented to tend) on
// a FIFO and becomes a trap; the test releases them all at once. tend must
// reap every one, stay responsive and small.
func TestStressOrphanBurst(t *testing.T) {
	t.Parallel()
	n := size(10000, 2000)
	fifo := filepath.Join(t.TempDir(), "park")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startPID1(t, runOpts{}, helperArgv("stress-park", fifo, strconv.Itoa(n), testBin, "trap", "-exit-on", "TERM")...)
	idle := p.mem()
	p.expectLine(fmt.Sprintf("parked %d", n))
	p.expectReady("")
	// Every orphan blocks in open: tend, the trap and the n orphans.
	var procs []procStat
	if !poll(quietTimeout, func() bool { procs = p.nsProcs(); return len(procs) == n+2 }) {
		t.Fatalf("%d orphans parked: %d processes in the namespace; want %d", n, len(procs), n+2)
	}
	if z := zombies(procs); len(z) > 0 {
		t.Errorf("%d zombies while the orphans are parked: %v…", len(z), z[0])
	}
	before := p.mem()
	w, err := os.OpenFile(fifo, os.O_WRONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatalf("open the FIFO to release the orphans: %v", err)
	}
	w.Close() // every reader sees EOF: n exits at once
	quiet := waitQuiet(t, p, quietTimeout, 2)
	t.Logf("%d orphans exiting together: namespace quiet (0 zombies) %v after the release", n, quiet.Round(time.Millisecond))
	checkForwards(t, p, unix.SIGUSR1, "")
	after := p.mem()
	t.Logf("tend memory just after it started: %v", idle)
	checkMem(t, before, after)
	p.signal(unix.SIGTERM)
	p.waitStatus(exitTimeout, 0)
	checkNoPanic(t, p.stderr.String())
}

// helperRate: RATE SECONDS ARGV...: makes RATE short-lived orphans a second
// for SECONDS, in batches every 50ms (each batch a /bin/sh double-forking
// its share), prints "rate made N in D", then execs ARGV. A batch that
// finds four batches still running is skipped and counted as behind.
func helperRate(args []string) int {
	if len(args) < 3 {
		return usageFail("stress-rate RATE SECONDS ARGV...")
	}
	rate, err1 := strconv.Atoi(args[0])
	secs, err2 := strconv.ParseFloat(args[1], 64)
	if err1 != nil || err2 != nil {
		return usageFail("stress-rate RATE SECONDS ARGV...")
	}
	const tick = 50 * time.Millisecond
	per := max(rate*int(tick)/int(time.Second), 1)
	script := fmt.Sprintf(`i=0; while [ "$i" -lt %d ]; do ( : & ); i=$((i+1)); done`, per)
	var wg sync.WaitGroup
	slots := make(chan struct{}, 4)
	made, behind := 0, 0
	start := time.Now()
	end := start.Add(time.Duration(secs * float64(time.Second)))
	tk := time.NewTicker(tick)
	for now := start; now.Before(end); now = <-tk.C {
		select {
		case slots <- struct{}{}:
		default:
			behind++
			continue
		}
		cmd := exec.Command("/bin/sh", "-c", script)
		if err := cmd.Start(); err != nil {
			fmt.Fprintf(os.Stderr, harnessPrefix+"stress-rate: %v\n", err)
			return 2
		}
		made += per
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = cmd.Wait()
			<-slots
		}()
	}
	tk.Stop()
	wg.Wait()
	d := time.Since(start)
	fmt.Printf("rate made %d in %v (%.0f/s, %d batches behind)\n", made, d.Round(time.Millisecond), float64(made)/d.Seconds(), behind)
	err := syscall.Exec(args[2], args[2:], os.Environ())
	fmt.Fprintf(os.Stderr, harnessPrefix+"stress-rate: exec %s: %v\n", args[2], err)
	return 2
}

// TestStressOrphanRate: a steady stream of orphans (1,000 a second for 30
// seconds; 1,000 a second for 5 seconds with -short), then the child turns
// into a trap. tend must have reaped them all within a bound, and stay
// responsive and small. The rate the machine actually reached is logged.
func TestStressOrphanRate(t *testing.T) {
	t.Parallel()
	rate, secs := 1000, size(30, 5)
	p := startPID1(t, runOpts{}, helperArgv("stress-rate", strconv.Itoa(rate), strconv.Itoa(secs), testBin, "trap", "-exit-on", "TERM")...)
	waitFor(t, 10*time.Second, "tend to start its child", func() bool { return strings.Contains(p.stderr.String(), "tend: started") })
	before := p.mem()
	var peak memUsage
	var maxZombies int
	// Sample during the storm (the child prints when it is over).
	done := make(chan struct{})
	go func() {
		defer close(done)
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for !p.exited() {
			if m, err := readMem(p.pid()); err == nil && m.RSS > peak.RSS {
				peak = m
			}
			if z := len(zombies(readProcs(fmt.Sprintf("/proc/%d/root/proc", p.pid())))); z > maxZombies {
				maxZombies = z
			}
			select {
			case <-tk.C:
			case <-p.done:
			}
			if strings.Contains(p.stdout.String(), "ready pid=") {
				return
			}
		}
	}()
	made := waitLine(t, p, time.Duration(secs)*time.Second+quietTimeout, "the orphan stream to end", func(l string) bool {
		return strings.HasPrefix(l, "rate made ")
	})
	p.expectReady("")
	<-done
	quiet := waitQuiet(t, p, quietTimeout, 2)
	t.Logf("%s; at most %d zombies seen at once (1s samples); namespace quiet %v after the stream; peak sampled %v",
		made, maxZombies, quiet.Round(time.Millisecond), peak)
	checkForwards(t, p, unix.SIGUSR1, "")
	checkMem(t, before, p.mem())
	p.signal(unix.SIGTERM)
	p.waitStatus(exitTimeout, 0)
	checkNoPanic(t, p.stderr.String())
}

package logsink

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// sinkPipe returns a pipe for a Sink to write to; its write end is in
// blocking mode, as a stderr pipe usually is. The write end is closed last
// at cleanup, after the read end, so that a writer stuck on a full pipe
// gets EPIPE first; the sink keeps no reference that would keep the
// *os.File alive, so the test holds it until then.
func sinkPipe(t *testing.T) (r *os.File, w *os.File, fd int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fd = int(w.Fd()) // Fd puts w in blocking mode
	t.Cleanup(func() { w.Close() })
	t.Cleanup(func() { r.Close() }) // runs first
	return r, w, fd
}

func TestLogSinkOrder(t *testing.T) {
	r, w, fd := sinkPipe(t)
	sink := New(fd)
	var want strings.Builder
	for i := range 200 { // 200 queued lines, under the queue's bound
		line := fmt.Sprintf("tend: line %d\n", i)
		want.WriteString(line)
		if n, err := sink.Write([]byte(line)); n != len(line) || err != nil {
			t.Fatalf("Write(%q) = %d, %v; want %d, <nil>", line, n, err, len(line))
		}
	}
	start := time.Now()
	sink.Flush(10 * time.Second)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Flush took %v with a pipe that has room", d)
	}
	// Everything flushed is in the pipe now; reading to EOF needs every
	// writer closed.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Errorf("sink wrote %d bytes:\n%.300s...\nwant %d bytes:\n%.300s...", len(got), got, want.Len(), want.String())
	}
	if n := sink.Dropped(); n != 0 {
		t.Errorf("Dropped() = %d; want 0", n)
	}
}

func TestLogSinkCopiesLine(t *testing.T) {
	r, w, fd := sinkPipe(t)
	sink := New(fd)
	buf := []byte("tend: first\n")
	sink.Write(buf)
	copy(buf, "XXXXXXXXXXXX") // slog reuses its buffers
	sink.Flush(10 * time.Second)
	w.Close()
	got, _ := io.ReadAll(r)
	if string(got) != "tend: first\n" {
		t.Errorf("sink wrote %q after the caller reused its buffer; want %q", got, "tend: first\n")
	}
}

// TestLogSinkFullPipe checks that a stderr nobody reads never blocks Write:
// lines beyond the queue are dropped and counted, and Flush gives up at its
// timeout.
func TestLogSinkFullPipe(t *testing.T) {
	_, _, fd := sinkPipe(t)
	sink := New(fd)
	line := []byte(strings.Repeat("x", 199) + "\n")
	const lines = 10000 // 2 MB, far beyond a 64 KiB pipe
	start := time.Now()
	for range lines {
		if n, err := sink.Write(line); n != len(line) || err != nil {
			t.Fatalf("Write = %d, %v; want %d, <nil>", n, err, len(line))
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("%d Writes into a pipe nobody reads took %v; want them to return at once", lines, d)
	}
	if n := sink.Dropped(); n <= 0 || n >= lines {
		t.Errorf("Dropped() = %d after %d lines into a full pipe; want some, not all", n, lines)
	}
	start = time.Now()
	sink.Flush(100 * time.Millisecond)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Flush(100ms) on a stuck pipe took %v", d)
	}
}

// sigpipeBit is SIGPIPE's bit in the /proc masks.
const sigpipeBit = uint64(1) << (unix.SIGPIPE - 1)

// threadsWithPendingSIGPIPE lists the threads of this process where SIGPIPE
// is blocked and pending.
func threadsWithPendingSIGPIPE(t *testing.T) []string {
	t.Helper()
	tasks, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range tasks {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread is gone
		}
		var pnd, blk uint64
		for l := range strings.SplitSeq(string(b), "\n") {
			k, v, _ := strings.Cut(l, ":")
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				continue
			}
			switch k {
			case "SigPnd":
				pnd = n
			case "SigBlk":
				blk = n
			}
		}
		if pnd&sigpipeBit != 0 && blk&sigpipeBit != 0 {
			out = append(out, p)
		}
	}
	return out
}

// TestLogSinkBrokenPipe checks the claim that a closed stderr gives the
// writer EPIPE and no SIGPIPE reaches the process: tend catches SIGPIPE to
// forward it, so one raised by its own write would be passed to the child.
// write(2) raises SIGPIPE at the calling thread; with the writer's thread
// blocking it, it stays pending there, where /proc shows it. Were it not
// blocked, the runtime's handler would take it and it would never show.
func TestLogSinkBrokenPipe(t *testing.T) {
	// Sinks of other tests may have hit EPIPE already: look for one more.
	before := len(threadsWithPendingSIGPIPE(t))
	r, _, fd := sinkPipe(t)
	sink := New(fd)
	r.Close()
	sink.Write([]byte("tend: into a closed pipe\n"))
	sink.Flush(10 * time.Second)
	if !waitFor(t, 5*time.Second, sink.broken.Load) {
		t.Fatalf("sink not marked broken after a write into a pipe with no reader")
	}
	if !waitFor(t, 5*time.Second, func() bool { return len(threadsWithPendingSIGPIPE(t)) > before }) {
		t.Fatalf("no thread has SIGPIPE blocked and pending after EPIPE (threads: %v); the writer thread does not block it", threadsWithPendingSIGPIPE(t))
	}
	// Broken: later lines are discarded at once, and Flush still returns.
	start := time.Now()
	for range 1000 {
		sink.Write([]byte("tend: more\n"))
	}
	sink.Flush(10 * time.Second)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("writing to a broken sink took %v", d)
	}
}

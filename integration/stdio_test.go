//go:build linux

package integration

// Stdio and file descriptors are inherited untouched: tend never copies,
// buffers or closes them; LISTEN_PID follows the child (socket activation).

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStdout10MB: 10 MB written by the child arrive byte for byte on
// tend's stdout, with nothing of tend's own mixed in.
func TestStdout10MB(t *testing.T) {
	t.Parallel()
	data := make([]byte, 10<<20)
	rng := rand.NewChaCha8([32]byte{'t', 'e', 'n', 'd'})
	_, _ = rng.Read(data)
	file := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, pid1 := range []bool{true, false} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			t.Parallel()
			p := startEither(t, pid1, runOpts{}, "cat", file)
			p.waitStatus(30*time.Second, 0)
			got := p.stdout.bytes()
			if !bytes.Equal(got, data) {
				i := 0
				for i < len(got) && i < len(data) && got[i] == data[i] {
					i++
				}
				t.Errorf("stdout: %d bytes, first difference at offset %d; want the %d bytes the child wrote", len(got), i, len(data))
			}
		})
	}
}

// TestStdin: tend's stdin is the child's (echo data | tend cat), and the
// child's stderr is tend's.
func TestStdin(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{true, false} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			t.Parallel()
			p := startEither(t, pid1, runOpts{Stdin: strings.NewReader("data\nmore data\n")},
				"/bin/sh", "-c", "cat; echo child-stderr >&2")
			p.waitStatus(exitTimeout, 0)
			if got := p.stdout.String(); got != "data\nmore data\n" {
				t.Errorf("stdout = %q; want %q", got, "data\nmore data\n")
			}
			if !strings.Contains(p.stderr.String(), "child-stderr\n") {
				t.Errorf("stderr = %q; want it to contain the child's line %q", p.stderr, "child-stderr")
			}
		})
	}
}

// TestListenFDs: with LISTEN_FDS=1 and fd 3 passed to tend, the child has
// the same fd 3 (it reads what the test wrote into it) and LISTEN_PID is
// its own pid.
func TestListenFDs(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{true, false} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			t.Parallel()
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			defer w.Close()
			if _, err := w.WriteString("socket-data"); err != nil {
				t.Fatal(err)
			}
			p := startEither(t, pid1, runOpts{ExtraFiles: []*os.File{r}, Env: []string{"LISTEN_FDS=1", "LISTEN_PID=4242"}},
				helperArgv("listen")...)
			r.Close()
			w.Close() // the child reads to EOF
			line, err := p.nextLine()
			if err != nil {
				t.Fatalf("listen helper: %v\nstderr:\n%s", err, p.stderr)
			}
			var pid int
			if _, err := fmt.Sscanf(line, "pid=%d ", &pid); err != nil {
				t.Fatalf("listen helper printed %q", line)
			}
			want := fmt.Sprintf("pid=%d LISTEN_PID=%d LISTEN_FDS=1 fd3=%q", pid, pid, "socket-data")
			if line != want {
				t.Errorf("child saw %q; want %q", line, want)
			}
			p.waitStatus(exitTimeout, 0)
		})
	}
}

// TestListenPIDUntouched: without LISTEN_FDS, LISTEN_PID is not tend's
// business and reaches the child as it was.
func TestListenPIDUntouched(t *testing.T) {
	t.Parallel()
	p := startTend(t, runOpts{Env: []string{"LISTEN_PID=4242"}}, "/bin/sh", "-c", `echo "LISTEN_PID=$LISTEN_PID LISTEN_FDS=$LISTEN_FDS"`)
	p.waitStatus(exitTimeout, 0)
	if got, want := p.stdout.String(), "LISTEN_PID=4242 LISTEN_FDS=\n"; got != want {
		t.Errorf("child saw %q; want %q", got, want)
	}
}

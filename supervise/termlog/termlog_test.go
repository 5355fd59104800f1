package termlog

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

func TestLine(t *testing.T) {
	long := strings.Repeat("x", 5000)
	// A 3-byte character across the cut: it must go whole.
	multi := strings.Repeat("x", Max-len(ellipsis)-2) + "€€€"
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"short", "exited with status 3", "exited with status 3\n"},
		{"control characters", "unhealthy: GET /: 503\nbody\tmore", "unhealthy: GET /: 503 body more\n"},
		{"exactly the limit", strings.Repeat("y", Max-1), strings.Repeat("y", Max-1) + "\n"},
		{"one byte over", strings.Repeat("y", Max), strings.Repeat("y", Max-1-len(ellipsis)) + ellipsis + "\n"},
		{"long", long, long[:Max-1-len(ellipsis)] + ellipsis + "\n"},
		{"character boundary", multi, strings.Repeat("x", Max-len(ellipsis)-2) + ellipsis + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Line(tt.in)
			if got != tt.want {
				t.Errorf("Line(%.40q…) = %.60q… (%d bytes); want %.60q… (%d bytes)", tt.in, got, len(got), tt.want, len(tt.want))
			}
			if len(got) > Max || !utf8.ValidString(got) {
				t.Errorf("Line(%.40q…) is %d bytes, valid UTF-8 %v; want at most %d, valid", tt.in, len(got), utf8.ValidString(got), Max)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name    string
		before  *string // nil: no file
		create  bool
		want    *string // nil: no file after
		wantErr error   // checked with errors.Is; nil: no error
	}{
		{name: "empty file", before: ptr(""), want: ptr("done\n")},
		{name: "empty file, create", before: ptr(""), create: true, want: ptr("done\n")},
		{name: "the app's message wins", before: ptr("app: out of disk\n"), want: ptr("app: out of disk\n"), wantErr: ErrNotEmpty},
		{name: "the app's message wins, create", before: ptr("x"), create: true, want: ptr("x"), wantErr: ErrNotEmpty},
		{name: "missing, default path", want: nil},
		{name: "missing, explicit path", create: true, want: ptr("done\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "termination-log")
			if tt.before != nil {
				if err := os.WriteFile(path, []byte(*tt.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := Write(path, tt.create, "done")
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) || tt.wantErr == nil && err != nil {
				t.Errorf("Write(create=%v) = %v; want %v", tt.create, err, tt.wantErr)
			}
			b, rerr := os.ReadFile(path)
			switch {
			case tt.want == nil && rerr == nil:
				t.Errorf("Write(create=%v) created %s (%q); want no file", tt.create, path, b)
			case tt.want != nil && rerr != nil:
				t.Errorf("after Write(create=%v): %v; want %q", tt.create, rerr, *tt.want)
			case tt.want != nil && string(b) != *tt.want:
				t.Errorf("after Write(create=%v) the file holds %q; want %q", tt.create, b, *tt.want)
			}
		})
	}
}

// TestWriteNotRegular: a FIFO with no reader neither blocks nor gets
// written; a directory is an error.
func TestWriteNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, dir} {
		if err := Write(path, true, "done"); err == nil {
			t.Errorf("Write(%s) = nil; want an error", path)
		}
	}
}

func ptr(s string) *string { return &s }

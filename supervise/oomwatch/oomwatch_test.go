package oomwatch

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tend-init/tend/supervise/internal/cgroup"
)

func TestParse(t *testing.T) {
	tests := []struct {
		file   string
		want   uint64
		wantOK bool
	}{
		{"memory.events", 2, true},
		{"memory.oom_control", 7, true},
		{"memory.oom_control.nokey", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := parse(b); got != tt.want || ok != tt.wantOK {
				t.Errorf("parse(%s) = %d, %v; want %d, %v", tt.file, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		name  string
		proc  string   // a file in testdata: the content of /proc/self/cgroup
		files []string // what exists under the cgroup root
		want  string   // relative to the root; "" for none
	}{
		{
			name:  "v2 with the cgroup's own directory",
			proc:  "cgroup.v2",
			files: []string{"kubepods.slice/pod1/cri-containerd-abc.scope/memory.events", "memory.events"},
			want:  "kubepods.slice/pod1/cri-containerd-abc.scope/memory.events",
		},
		{
			name:  "v2 without a cgroup namespace: the mount's root",
			proc:  "cgroup.v2",
			files: []string{"memory.events"},
			want:  "memory.events",
		},
		{
			name: "v2 with no memory controller",
			proc: "cgroup.v2",
		},
		{
			name:  "hybrid: the v1 memory line wins over 0::",
			proc:  "cgroup.hybrid",
			files: []string{"docker/abc/memory.events", "memory/docker/abc/memory.oom_control"},
			want:  "memory/docker/abc/memory.oom_control",
		},
		{
			name:  "v1 without a cgroup namespace: the mount's root",
			proc:  "cgroup.hybrid",
			files: []string{"memory/memory.oom_control"},
			want:  "memory/memory.oom_control",
		},
		{
			name:  "v1 memory among other controllers",
			proc:  "cgroup.v1joined",
			files: []string{"memory/kubepods/pod1/abc/memory.oom_control"},
			want:  "memory/kubepods/pod1/abc/memory.oom_control",
		},
		{
			name:  "v1 memory not mounted",
			proc:  "cgroup.hybrid",
			files: []string{"docker/abc/memory.events"},
		},
		{
			name: "no memory controller",
			proc: "cgroup.nomemory",
		},
		{
			name: "empty /proc/self/cgroup",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var proc []byte
			if tt.proc != "" {
				var err error
				if proc, err = os.ReadFile(filepath.Join("testdata", tt.proc)); err != nil {
					t.Fatal(err)
				}
			}
			root := t.TempDir()
			for _, f := range tt.files {
				p := filepath.Join(root, f)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("oom_kill 0\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := ""
			if tt.want != "" {
				want = filepath.Join(root, tt.want)
			}
			if got := find(cgroup.Parse(string(proc)), root); got != want {
				t.Errorf("find(%s) = %q; want %q", tt.proc, got, want)
			}
		})
	}
}

func TestCounterRead(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(dir, "memory.events")
	if err := os.WriteFile(events, []byte("oom 1\noom_kill 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		c      Counter
		want   uint64
		wantOK bool
	}{
		{"zero value", Counter{}, 0, false},
		{"missing file", Counter{path: filepath.Join(dir, "gone")}, 0, false},
		{"memory.events", Counter{path: events}, 1, true},
		{"testdata v1", Counter{path: "testdata/memory.oom_control"}, 7, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := tt.c.Read(); got != tt.want || ok != tt.wantOK {
				t.Errorf("Read() = %d, %v; want %d, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestFindHere runs Find on this machine: whatever it finds must be
// readable.
func TestFindHere(t *testing.T) {
	c := Find()
	if c.Path() == "" {
		t.Skip("no memory cgroup counter on this machine")
	}
	if _, ok := c.Read(); !ok {
		t.Errorf("Find() = %q, which Read cannot read", c.Path())
	}
}

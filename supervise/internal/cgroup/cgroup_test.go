package cgroup

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDir(t *testing.T) {
	const v1Host = "12:pids:/docker/abc\n4:memory:/docker/abc\n1:name=systemd:/docker/abc\n0::/system.slice\n"
	tests := []struct {
		name       string
		proc       string
		dirs       []string // made under the root
		controller string
		dir, mount string // under the root; dir "" for none
		v1         bool
	}{
		{"v1: the hierarchy named for the controller", v1Host, []string{"memory/docker/abc"}, "memory", "memory/docker/abc", "memory", true},
		{"v1 wins over the v2 line of a hybrid host", v1Host, []string{"pids/docker/abc", "system.slice"}, "pids", "pids/docker/abc", "pids", true},
		{"v1 without a cgroup namespace: the mount", v1Host, []string{"memory"}, "memory", "memory", "memory", true},
		{"a controller no v1 line has: the v2 hierarchy", v1Host, []string{"system.slice"}, "cpu", "system.slice", "", false},
		{"v2 only", "0::/kubepods/pod1/c1\n", []string{"kubepods/pod1/c1"}, "memory", "kubepods/pod1/c1", "", false},
		{"v2 without a cgroup namespace: the root", "0::/kubepods/pod1/c1\n", nil, "memory", "", "", false},
		{"a controller listed among others", "3:cpu,cpuacct:/a\n", []string{"cpuacct/a"}, "cpuacct", "cpuacct/a", "cpuacct", true},
		{"no line for it, no v2", "3:cpu,cpuacct:/a\n", nil, "memory", "none", "", false},
		{"nothing at all", "", nil, "memory", "none", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, d := range tt.dirs {
				if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			wantDir, wantMount := filepath.Join(root, tt.dir), filepath.Join(root, tt.mount)
			if tt.dir == "none" {
				wantDir, wantMount = "", ""
			}
			dir, mount, v1 := Parse(tt.proc).Dir(root, tt.controller)
			if dir != wantDir || mount != wantMount || v1 != tt.v1 {
				t.Errorf("Dir(%q) = %q, %q, %v; want %q, %q, %v", tt.controller, dir, mount, v1, wantDir, wantMount, tt.v1)
			}
		})
	}
}

// TestSelf: this process's own membership reads, and says where its
// memory controller is when the machine has one.
func TestSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/cgroup"); err != nil {
		t.Skip("no /proc/self/cgroup here")
	}
	m, ok := Self()
	if !ok {
		t.Fatal("Self() could not read /proc/self/cgroup")
	}
	if m2, _ := Self(); len(m2.lines) != len(m.lines) || m2.v2 != m.v2 {
		t.Errorf("a second Self() differs from the first")
	}
	if len(m.lines) == 0 && !m.hasV2 {
		t.Errorf("Self() found no hierarchy in /proc/self/cgroup")
	}
}

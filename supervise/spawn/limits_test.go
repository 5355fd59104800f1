package spawn

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tend-init/tend/supervise/internal/cgroup"
)

func TestPidsLimited(t *testing.T) {
	tests := []struct {
		name       string
		procCgroup string
		files      map[string]string // path under root: content of pids.max
		want       bool
	}{
		{"no pids controller", "4:memory:/a\n0::/\n", nil, false},
		{"v1, no limit", "8:pids:/a/b\n", map[string]string{"pids/a/b": "max\n", "pids/a": "max\n"}, false},
		{"v1, own limit", "8:pids:/a/b\n", map[string]string{"pids/a/b": "100\n", "pids/a": "max\n"}, true},
		{"v1, parent's limit", "8:pids:/a/b\n", map[string]string{"pids/a/b": "max\n", "pids/a": "64\n"}, true},
		{"v1, host path absent: the mount's root", "8:pids:/docker/abc\n", map[string]string{"pids": "32\n"}, true},
		{"v1 beside v2 on a hybrid host", "8:pids:/a\n0::/a\n", map[string]string{"pids/a": "max\n", "a": "10\n"}, false},
		{"v2, limit above", "0::/x/y\n", map[string]string{"x/y": "max\n", "x": "50\n", "cgroup.controllers": "cpu pids\n"}, true},
		{"v2 without the pids controller", "0::/x\n", map[string]string{"x": "50\n", "cgroup.controllers": "cpu memory\n"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for path, content := range tt.files {
				name := filepath.Join(root, path, "pids.max")
				if filepath.Base(path) == "cgroup.controllers" {
					name = filepath.Join(root, path)
				}
				if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := pidsLimited(cgroup.Parse(tt.procCgroup), root); got != tt.want {
				t.Errorf("pidsLimited(%q) = %v; want %v", tt.procCgroup, got, tt.want)
			}
		})
	}
}

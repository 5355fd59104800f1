package main

import (
	"strings"
	"testing"
)

// dockerInitCommit is how `docker info` reads its init's --version output
// (moby daemon/info_unix.go, parseInitVersion, unchanged from 20.10 to
// 27): split at " - ", and the second part, trimmed, must be "git.COMMIT".
// It returns "" where docker info would show "N/A".
func dockerInitCommit(out string) string {
	parts := strings.Split(out, " - ")
	if len(parts) < 2 {
		return ""
	}
	git := strings.Split(strings.TrimSpace(parts[1]), ".")
	if len(git) != 2 || git[0] != "git" {
		return ""
	}
	return git[1]
}

func TestVersionLineForDockerInfo(t *testing.T) {
	tests := []struct {
		name    string
		version string
		commit  string
		want    string // what docker info shows as "init version"
	}{
		{"stamped", "v1.2.0", "8401d19c0a1b", "8401d19c0a1b"},
		{"describe with commit", "v1.2.0-3-g8401d19-dirty", "8401d19c0a1b", "8401d19c0a1b"},
		{"dotted commit", "dev", "a.b c", "a-b-c"},
		{"empty commit", "dev", "", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oldV, oldC := version, commit
			t.Cleanup(func() { version, commit = oldV, oldC })
			version, commit = tt.version, tt.commit
			line := versionLine() + "\n" // as printed
			if got := dockerInitCommit(line); got != tt.want {
				t.Errorf("versionLine() = %q: docker info shows init version %q; want %q", line, got, tt.want)
			}
			if !strings.HasPrefix(line, "tend version "+tt.version+" - git.") {
				t.Errorf("versionLine() = %q; want it to start %q", line, "tend version "+tt.version+" - git.")
			}
		})
	}
}

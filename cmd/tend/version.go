package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version and commit are stamped by the Makefile with -ldflags -X.
var (
	version = "dev"
	commit  = "unknown"
)

// versionLine is what tend --version prints, in tini's form followed by
// the Go version: "tend version 1.2.0 - git.8401d19 - go1.26.8". `docker
// info` runs the daemon's init with --version, splits the output at " - "
// and shows what follows "git." in the second part as "init version"
// (moby's parseInitVersion), so the commit must be that part alone: no
// space, no dot.
func versionLine() string {
	return fmt.Sprintf("tend version %s - git.%s - %s", version, commitID(), runtime.Version())
}

// commitID returns the stamped commit or, in a build that did not stamp
// it (go build, go install), the revision Go recorded from the checkout,
// shortened to 12 digits like the Makefile's. Anything but letters, digits
// and '-' becomes '-', so a stamped value cannot break docker info's parse.
func commitID() string {
	c := commit
	if c == "" || c == "unknown" {
		c = "unknown"
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" && s.Value != "" {
					c = s.Value[:min(12, len(s.Value))]
				}
			}
		}
	}
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, c)
}

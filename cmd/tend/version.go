package main

import (
	"fmt"
	"runtime"
)

// version and commit are stamped by the Makefile with -ldflags -X.
var (
	version = "dev"
	commit  = "unknown"
)

// versionLine is what tend --version prints.
func versionLine() string {
	return fmt.Sprintf("tend version %s (%s, %s)", version, commit, runtime.Version())
}

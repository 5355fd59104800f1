package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tend-init/tend/supervise"
)

// terminationLog reads --termination-log: unset, the default path, written
// only if it exists (Kubernetes creates it); "none", no file; a path, the
// file, created if missing. Its directory must exist, and the path may not
// name anything but a regular file (a FIFO would block, a directory
// cannot be written), so that a mistake shows at start and not when tend
// ends.
func (p *parser) terminationLog(cfg *supervise.Config) {
	if !p.c.IsSet(fTermLog) {
		return // supervise.Defaults: the default path, if it exists
	}
	v := p.c.String(fTermLog)
	cfg.TerminationLog, cfg.TerminationLogIfExists = "", false
	switch {
	case v == "none" || v == "":
		return // "" is refused as an empty value (parseConfig)
	}
	if err := isDir(filepath.Dir(v)); err != nil {
		p.fail(fTermLog, "%q: %v", v, err)
		return
	}
	if fi, err := os.Stat(v); err == nil && !fi.Mode().IsRegular() {
		p.fail(fTermLog, "%q is not a regular file", v)
		return
	}
	cfg.TerminationLog = v
}

// isDir returns nil if dir is a directory.
func isDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("directory %s: %w", dir, errors.Unwrap(err))
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

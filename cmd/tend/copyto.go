package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"
)

// copyToRequested reports whether tend was asked to install itself into a
// directory instead of running a command.
func copyToRequested(c *cli.Context) bool {
	return c.IsSet(fCopyTo)
}

// copyTo runs --copy-to DIR: it copies tend's own executable to DIR/tend
// and starts no child. It is how an initContainer from a tend image puts
// tend into an emptyDir that the app's container then runs as its
// entrypoint: Kubernetes has no --init (kubernetes#84210). The other
// options are not read, for the same reason as --check's: the image's
// TEND_* variables are meant for the tend that runs the app. Every error
// is a usage error (status 125).
func copyTo(c *cli.Context) error {
	dir := c.String(fCopyTo)
	switch {
	case dir == "":
		return optErr(fCopyTo, "empty value")
	case c.Args().Len() > 0:
		return optErr(fCopyTo, "copies tend and runs no command, got %q", c.Args().First())
	}
	if err := installSelf(dir); err != nil {
		return optErr(fCopyTo, "copy tend to %s: %v", dir, err)
	}
	return nil
}

// installSelf writes tend's executable to dir/tend, whole or not at all: a
// temporary file in dir, synced, made 0755 and renamed over dir/tend, then
// the directory synced so that the name survives too. A container that
// starts from dir/tend never sees a half-written binary.
func installSelf(dir string) (err error) {
	src, err := openSelf()
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(dir, ".tend-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, src); err != nil {
		return err
	}
	// CreateTemp makes the file 0600; chmod is not subject to the umask.
	if err = tmp.Chmod(0o755); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), filepath.Join(dir, "tend")); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// openSelf opens the running executable. /proc/self/exe names the file the
// kernel executed even when its path was relative, has changed since, or
// was a symlink; os.Executable is the fallback where /proc is not mounted
// (an initContainer usually has it, a bare chroot may not).
func openSelf() (*os.File, error) {
	f, err := os.Open("/proc/self/exe")
	if err == nil {
		return f, nil
	}
	exe, err2 := os.Executable()
	if err2 != nil {
		return nil, fmt.Errorf("find tend's executable: %w (and /proc/self/exe: %w)", err2, err)
	}
	return os.Open(exe)
}

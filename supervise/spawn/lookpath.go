package spawn

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

var (
	errNotFound      = errors.New("command not found")
	errNotExecutable = errors.New("permission denied")
	errIsDir         = errors.New("is a directory")
	errNoCommand     = errors.New("empty command name")
)

// defaultPath is used when PATH is unset, as the shells do.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// lookPath finds name the way a POSIX shell does: a name with a slash is
// used as it is; otherwise each PATH entry is tried in order, an empty entry
// meaning the current directory, and the first executable regular file wins.
// A match that is not executable is remembered, so that the caller can tell
// "not executable" (126) from "not found" (127). Unlike exec.LookPath,
// relative PATH entries are honoured (as in sh), since tend runs what the
// image's author wrote.
//
// dir is the directory the child will chdir to before execve ("" for
// tend's own): a relative result is looked at there, because execve
// resolves it there, as execvp in the child would (issue 12). The path
// returned stays relative, for execve after the chdir.
func lookPath(name, path, dir string) (string, error) {
	if name == "" {
		return "", errNoCommand
	}
	at := func(p string) string {
		if dir == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	if strings.Contains(name, "/") {
		if fi, err := os.Stat(at(name)); err == nil && fi.IsDir() {
			return name, errIsDir
		}
		return name, nil // execve reports anything else that is wrong with it
	}
	if path == "" {
		path = defaultPath
	}
	denied := ""
	for entry := range strings.SplitSeq(path, ":") {
		if entry == "" {
			entry = "."
		}
		p := filepath.Join(entry, name)
		if entry == "." {
			p = "./" + name
		}
		fi, err := os.Stat(at(p))
		if err != nil || fi.IsDir() {
			continue
		}
		if fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
		if denied == "" {
			denied = p
		}
	}
	if denied != "" {
		return denied, fmt.Errorf("%s: %w", denied, errNotExecutable)
	}
	return "", errNotFound
}

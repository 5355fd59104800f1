package spawn

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// writeFile creates dir/name with mode and returns its path.
func writeFile(t *testing.T, dir, name string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask must not decide
		t.Fatal(err)
	}
	return p
}

func TestLookPath(t *testing.T) {
	root := t.TempDir()
	exe := filepath.Join(root, "exe")           // prog: executable
	noexec := filepath.Join(root, "noexec")     // prog: mode 0644
	isdir := filepath.Join(root, "isdir")       // prog: a directory
	ownerx := filepath.Join(root, "ownerx")     // prog: mode 0700
	missing := filepath.Join(root, "missing")   // no such directory
	linkdir := filepath.Join(root, "linkdir")   // prog: symlink to exe/prog
	emptydir := filepath.Join(root, "emptydir") // exists, no prog
	writeFile(t, exe, "prog", 0o755)
	writeFile(t, noexec, "prog", 0o644)
	writeFile(t, ownerx, "prog", 0o700)
	if err := os.MkdirAll(filepath.Join(isdir, "prog"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(linkdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(exe, "prog"), filepath.Join(linkdir, "prog")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(emptydir, 0o755); err != nil {
		t.Fatal(err)
	}
	// For the entries relative to the current directory.
	writeFile(t, root, "prog", 0o755)
	writeFile(t, filepath.Join(root, "rel"), "prog", 0o755)
	writeFile(t, root, "plain", 0o644)
	t.Chdir(root)

	join := func(dirs ...string) string {
		s := ""
		for i, d := range dirs {
			if i > 0 {
				s += ":"
			}
			s += d
		}
		return s
	}
	tests := []struct {
		name     string
		in       string
		path     string
		want     string
		wantErr  error // matched with errors.Is
		wantCode int   // StartError{Err: err}.ExitCode() when wantErr is set
	}{
		{"found", "prog", exe, filepath.Join(exe, "prog"), nil, 0},
		{"owner-only executable", "prog", ownerx, filepath.Join(ownerx, "prog"), nil, 0},
		{"first executable wins", "prog", join(exe, ownerx), filepath.Join(exe, "prog"), nil, 0},
		{"missing dir skipped", "prog", join(missing, exe), filepath.Join(exe, "prog"), nil, 0},
		{"empty dir skipped", "prog", join(emptydir, exe), filepath.Join(exe, "prog"), nil, 0},
		{"directory skipped", "prog", join(isdir, exe), filepath.Join(exe, "prog"), nil, 0},
		{"non-executable skipped for a later one", "prog", join(noexec, exe), filepath.Join(exe, "prog"), nil, 0},
		{"symlink followed", "prog", join(linkdir), filepath.Join(linkdir, "prog"), nil, 0},
		{"empty entry first is current dir", "prog", join("", exe), "./prog", nil, 0},
		{"empty entry last is current dir", "prog", join(missing, ""), "./prog", nil, 0},
		{"empty entry in the middle", "prog", join(missing, "", exe), "./prog", nil, 0},
		{"dot entry", "prog", join(missing, "."), "./prog", nil, 0},
		{"relative entry", "prog", join("rel"), "rel/prog", nil, 0},
		{"slash: as given", "./prog", join(missing), "./prog", nil, 0},
		{"slash: absolute", filepath.Join(exe, "prog"), "", filepath.Join(exe, "prog"), nil, 0},
		{"slash: missing file left to execve", filepath.Join(missing, "prog"), exe, filepath.Join(missing, "prog"), nil, 0},
		{"slash: not on PATH", "rel/prog", join(missing), "rel/prog", nil, 0},

		{"only non-executable", "prog", join(noexec), filepath.Join(noexec, "prog"), errNotExecutable, ExitNoExec},
		{"non-executable and a directory", "prog", join(isdir, noexec, missing), filepath.Join(noexec, "prog"), errNotExecutable, ExitNoExec},
		{"non-executable in current dir", "plain", join(missing, ""), "./plain", errNotExecutable, ExitNoExec},
		{"only a directory", "prog", join(isdir), "", errNotFound, ExitNotFound},
		{"not found", "nosuchprog", join(exe, noexec, missing), "", errNotFound, ExitNotFound},
		{"only missing dirs", "prog", join(missing, missing+"2"), "", errNotFound, ExitNotFound},
		{"slash: a directory", "isdir/prog", join(exe), "isdir/prog", errIsDir, ExitNoExec},
		{"slash: the current dir", "./", join(exe), "./", errIsDir, ExitNoExec},
		{"empty name", "", join(exe), "", errNoCommand, ExitNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lookPath(tt.in, tt.path, "")
			if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("lookPath(%q, %q, \"\") = %q, %v; want %q, %v", tt.in, tt.path, got, err, tt.want, tt.wantErr)
			}
			if err == nil {
				return
			}
			se := &StartError{Name: tt.in, Err: err}
			if code := se.ExitCode(); code != tt.wantCode {
				t.Errorf("StartError{%q, %v}.ExitCode() = %d; want %d", tt.in, err, code, tt.wantCode)
			}
		})
	}
}

// TestLookPathWorkdir: relative PATH entries, an empty entry and a relative
// name with a slash are looked up in --workdir, where execve will resolve
// them after the chdir, not in tend's own directory (issue 12).
func TestLookPathWorkdir(t *testing.T) {
	root := t.TempDir()
	app := filepath.Join(root, "app")
	writeFile(t, filepath.Join(app, "bin"), "prog", 0o755)
	writeFile(t, filepath.Join(app, "bin"), "plain", 0o644)
	writeFile(t, app, "here", 0o755)
	writeFile(t, filepath.Join(root, "rel"), "prog", 0o755) // only in tend's directory
	writeFile(t, root, "there", 0o755)                      // only in tend's directory
	abs := filepath.Join(root, "abs")
	writeFile(t, abs, "prog", 0o755)
	if err := os.MkdirAll(filepath.Join(app, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "only-here"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)

	tests := []struct {
		name    string
		in      string
		path    string
		dir     string
		want    string
		wantErr error
	}{
		{"relative entry in workdir", "prog", "bin:/nonexistent", app, "bin/prog", nil},
		{"relative entry, relative workdir", "prog", "bin", "app", "bin/prog", nil},
		{"relative entry not in tend's directory", "prog", "rel", app, "", errNotFound},
		{"relative entry before an absolute one", "prog", "bin:" + abs, app, "bin/prog", nil},
		{"absolute entry unaffected", "prog", abs, app, filepath.Join(abs, "prog"), nil},
		{"empty entry is workdir", "here", ":" + abs, app, "./here", nil},
		{"empty entry is not tend's directory", "there", ":/nonexistent", app, "", errNotFound},
		{"non-executable in workdir", "plain", "bin", app, "bin/plain", errNotExecutable},
		{"slash: directory in workdir", "./sub", "", app, "./sub", errIsDir},
		{"slash: directory only in tend's directory", "./only-here", "", app, "./only-here", nil},
		{"no workdir: tend's directory", "prog", "rel", "", "rel/prog", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lookPath(tt.in, tt.path, tt.dir)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("lookPath(%q, %q, %q) = %q, %v; want %q, %v", tt.in, tt.path, tt.dir, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestLookPathDefault checks that an unset PATH means the shells' default
// search path.
func TestLookPathDefault(t *testing.T) {
	want := ""
	for _, dir := range filepath.SplitList(defaultPath) {
		if fi, err := os.Stat(filepath.Join(dir, "sh")); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			want = filepath.Join(dir, "sh")
			break
		}
	}
	if want == "" {
		t.Skipf("no sh in %s", defaultPath)
	}
	if got, err := lookPath("sh", "", ""); got != want || err != nil {
		t.Errorf("lookPath(%q, %q, %q) = %q, %v; want %q, <nil>", "sh", "", "", got, err, want)
	}
}

func TestStartErrorExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"not found", errNotFound, ExitNotFound},
		{"no command", errNoCommand, ExitNotFound},
		{"ENOENT from exec", &os.PathError{Op: "fork/exec", Path: "/x", Err: unix.ENOENT}, ExitNotFound},
		{"EACCES", &os.PathError{Op: "fork/exec", Path: "/x", Err: unix.EACCES}, ExitNoExec},
		{"ENOEXEC", unix.ENOEXEC, ExitNoExec},
		{"EISDIR", unix.EISDIR, ExitNoExec},
		{"not executable", errNotExecutable, ExitNoExec},
		{"is a directory", errIsDir, ExitNoExec},
		{"other", errors.New("fork: resource temporarily unavailable"), ExitUsage},
		// Every step of the child before execve is tend's own set-up
		// (125), whatever its errno; only execve's errno says 126 or 127.
		{"exec ENOENT", &childError{step: stepExec, errno: unix.ENOENT}, ExitNotFound},
		{"exec EACCES", &childError{step: stepExec, errno: unix.EACCES}, ExitNoExec},
		{"exec EPERM", &childError{step: stepExec, errno: unix.EPERM}, ExitNoExec},
		{"exec ENOEXEC", &childError{step: stepExec, errno: unix.ENOEXEC}, ExitNoExec},
		{"signals EINVAL", &childError{step: stepSignals, errno: unix.EINVAL}, ExitUsage},
		{"setsid EPERM", &childError{step: stepSetsid, errno: unix.EPERM}, ExitUsage},
		{"setpgid EPERM", &childError{step: stepSetpgid, errno: unix.EPERM}, ExitUsage},
		{"terminal EPERM", &childError{step: stepTerminal, errno: unix.EPERM}, ExitUsage},
		{"terminal ENOTTY", &childError{step: stepTerminal, errno: unix.ENOTTY}, ExitUsage},
		{"setgroups EPERM", &childError{step: stepGroups, errno: unix.EPERM}, ExitUsage},
		{"setgid EPERM", &childError{step: stepGid, errno: unix.EPERM}, ExitUsage},
		{"setgid EINVAL", &childError{step: stepGid, errno: unix.EINVAL}, ExitUsage},
		{"setuid EPERM", &childError{step: stepUid, errno: unix.EPERM}, ExitUsage},
		{"setuid EAGAIN", &childError{step: stepUid, errno: unix.EAGAIN}, ExitUsage},
		{"chdir ENOENT", &childError{step: stepChdir, errno: unix.ENOENT}, ExitUsage},
		{"chdir EACCES", &childError{step: stepChdir, errno: unix.EACCES}, ExitUsage},
		{"chdir ENOTDIR", &childError{step: stepChdir, errno: unix.ENOTDIR}, ExitUsage},
		{"dup EBADF", &childError{step: stepStdio, errno: unix.EBADF}, ExitUsage},
		{"rlimit EPERM", &childError{step: stepFileLimit, errno: unix.EPERM}, ExitUsage},
		{"wrapped setgroups EPERM", fmt.Errorf("--user %q: %w", "nobody", &childError{step: stepGroups, errno: unix.EPERM}), ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			se := &StartError{Name: "prog", Err: tt.err}
			if got := se.ExitCode(); got != tt.want {
				t.Errorf("StartError{%q, %v}.ExitCode() = %d; want %d", se.Name, tt.err, got, tt.want)
			}
			if !errors.Is(se, tt.err) {
				t.Errorf("errors.Is(StartError{%v}, %v) = false; want true", tt.err, tt.err)
			}
		})
	}
}

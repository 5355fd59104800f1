package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCopyTo: --copy-to DIR (or TEND_COPY_TO) writes a byte-identical copy
// of the running executable to DIR/tend, mode 0755, leaves no temporary
// file, prints nothing and exits 0; it replaces a tend already there.
func TestCopyTo(t *testing.T) {
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		env      []string
		args     func(dir string) []string
		existing bool // DIR/tend exists beforehand
	}{
		{"flag", nil, func(dir string) []string { return []string{"--copy-to", dir} }, false},
		{"flag with =", nil, func(dir string) []string { return []string{"--copy-to=" + dir} }, false},
		{"over an old copy", nil, func(dir string) []string { return []string{"--copy-to", dir} }, true},
		{"other variables are not read", []string{"TEND_GRACE=bogus", "TEND_LOG_FORMAT=xml"},
			func(dir string) []string { return []string{"--copy-to", dir} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			dst := filepath.Join(dir, "tend")
			if tt.existing {
				if err := os.WriteFile(dst, []byte("old"), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			r := runTend(t, tt.env, tt.args(dir)...)
			checkCopied(t, r, dir, self)
		})
	}
	t.Run("variable", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		r := runTend(t, []string{"TEND_COPY_TO=" + dir})
		checkCopied(t, r, dir, self)
	})
}

// checkCopied checks that tend exited 0 silently and that dir holds tend
// (a copy of self, mode 0755) and nothing else.
func checkCopied(t *testing.T, r result, dir string, self []byte) {
	t.Helper()
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and no output", r.code, r.stdout, r.stderr)
	}
	dst := filepath.Join(dir, "tend")
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, self) {
		t.Errorf("%s: %d bytes, not a copy of the running executable (%d bytes)", dst, len(got), len(self))
	}
	fi, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode(); m != 0o755 {
		t.Errorf("%s: mode %v; want -rwxr-xr-x", dst, m)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%s holds %q; want only tend (no temporary file left)", dir, names)
	}
}

// TestCopyToErrors: a DIR that cannot take the copy, or a command given as
// well, is one "tend: " line naming the problem and status 125, with no
// file left behind and no command run.
func TestCopyToErrors(t *testing.T) {
	base := t.TempDir()
	missing := filepath.Join(base, "missing")
	notDir := filepath.Join(base, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A mode 0555 directory stops anyone but root; root is stopped by
	// sysfs, which refuses to create files.
	unwritable := filepath.Join(base, "ro")
	if err := os.Mkdir(unwritable, 0o555); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		unwritable = "/sys/kernel"
	}
	marker := filepath.Join(base, "ran")
	tests := []struct {
		name    string
		env     []string
		args    []string
		mention string
	}{
		{"missing dir", nil, []string{"--copy-to", missing}, missing},
		{"not a dir", nil, []string{"--copy-to", notDir}, notDir},
		{"unwritable dir", nil, []string{"--copy-to", unwritable}, unwritable},
		{"empty", nil, []string{"--copy-to", ""}, "--copy-to"},
		{"empty variable", []string{"TEND_COPY_TO="}, nil, "TEND_COPY_TO"},
		{"a command as well", nil, []string{"--copy-to", base, "touch", marker}, `"touch"`},
		{"a command after --", nil, []string{"--copy-to", base, "--", "touch", marker}, `"touch"`},
		{"a command with the variable", []string{"TEND_COPY_TO=" + base}, []string{"touch", marker}, `"touch"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTend(t, tt.env, tt.args...)
			if r.code != 125 {
				t.Errorf("exit %d; want 125", r.code)
			}
			oneErrorLine(t, r, tt.mention)
			if _, err := os.Stat(marker); err == nil {
				t.Errorf("the command ran: %s exists", marker)
			}
			if _, err := os.Stat(filepath.Join(base, "tend")); err == nil {
				t.Errorf("%s/tend was written despite the error", base)
			}
			if left, _ := filepath.Glob(filepath.Join(base, "*", ".tend-*")); len(left) > 0 {
				t.Errorf("temporary files left: %q", left)
			}
		})
	}
}

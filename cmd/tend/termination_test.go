package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tend-init/tend/supervise"
)

func TestParseTerminationLog(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "termination-log")
	tests := []struct {
		name         string
		env          map[string]string
		args         []string
		wantPath     string
		wantIfExists bool
	}{
		{"default", nil, []string{"prog"}, supervise.DefaultTerminationLog, true},
		{"flag", nil, []string{"--termination-log", file, "prog"}, file, false},
		{"variable", map[string]string{"TEND_TERMINATION_LOG": file}, []string{"prog"}, file, false},
		{"the default path given is created", nil, []string{"--termination-log", "/dev/termination-log", "prog"}, "/dev/termination-log", false},
		{"none", nil, []string{"--termination-log", "none", "prog"}, "", false},
		{"none from the variable", map[string]string{"TEND_TERMINATION_LOG": "none"}, []string{"prog"}, "", false},
		{"flag beats the variable", map[string]string{"TEND_TERMINATION_LOG": "none"}, []string{"--termination-log", file, "prog"}, file, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parse(t, tt.env, tt.args...)
			if err != nil {
				t.Fatalf("tend %q with %v: %v", tt.args, tt.env, err)
			}
			if cfg.TerminationLog != tt.wantPath || cfg.TerminationLogIfExists != tt.wantIfExists {
				t.Errorf("tend %q with %v: TerminationLog %q, IfExists %v; want %q, %v", tt.args, tt.env, cfg.TerminationLog, cfg.TerminationLogIfExists, tt.wantPath, tt.wantIfExists)
			}
		})
	}
}

func TestParseTerminationLogErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		wantValue string
	}{
		{"empty", nil, []string{"--termination-log", "", "prog"}, "empty"},
		{"empty variable", map[string]string{"TEND_TERMINATION_LOG": ""}, []string{"prog"}, "empty"},
		{"no such directory", nil, []string{"--termination-log", filepath.Join(dir, "nope", "log"), "prog"}, "no such file or directory"},
		{"a directory", map[string]string{"TEND_TERMINATION_LOG": dir}, []string{"prog"}, "not a regular file"},
		{"under a file", nil, []string{"--termination-log", "/dev/null/log", "prog"}, "not a directory"},
	}
	const prefix = "--termination-log (TEND_TERMINATION_LOG): "
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, tt.env, tt.args...)
			var ue *supervise.UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("tend %q with %v: error %v (%T); want a *supervise.UsageError", tt.args, tt.env, err, err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tt.wantValue) {
				t.Errorf("tend %q with %v: error %q; want it to start with %q and name %q", tt.args, tt.env, msg, prefix, tt.wantValue)
			}
		})
	}
}

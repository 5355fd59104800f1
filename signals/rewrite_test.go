package signals

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseRewrite(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantFrom unix.Signal
		wantTo   unix.Signal
		wantErr  bool
	}{
		{"names", "TERM:QUIT", unix.SIGTERM, unix.SIGQUIT, false},
		{"SIG prefix", "SIGTERM:SIGQUIT", unix.SIGTERM, unix.SIGQUIT, false},
		{"lower case", "sigint:term", unix.SIGINT, unix.SIGTERM, false},
		{"mixed case", "Hup:sigUsr1", unix.SIGHUP, unix.SIGUSR1, false},
		{"numbers", "15:3", unix.SIGTERM, unix.SIGQUIT, false},
		{"number and name", "2:TERM", unix.SIGINT, unix.SIGTERM, false},
		{"real-time", "RTMIN+1:RTMAX", 35, 64, false},
		{"to itself", "TERM:TERM", unix.SIGTERM, unix.SIGTERM, false},
		{"drop with 0", "WINCH:0", unix.SIGWINCH, 0, false},
		{"drop with none", "TERM:none", unix.SIGTERM, 0, false},
		{"drop with NONE", "TERM:NONE", unix.SIGTERM, 0, false},
		{"drop with None", "int:None", unix.SIGINT, 0, false},
		{"to KILL", "TERM:KILL", unix.SIGTERM, unix.SIGKILL, false},
		{"to STOP", "TSTP:STOP", unix.SIGTSTP, unix.SIGSTOP, false},
		{"to a reserved number", "USR1:34", unix.SIGUSR1, 34, false},

		{"empty", "", 0, 0, true},
		{"no colon", "TERM", 0, 0, true},
		{"only colon", ":", 0, 0, true},
		{"empty from", ":TERM", 0, 0, true},
		{"empty to", "TERM:", 0, 0, true},
		{"two colons", "TERM:QUIT:INT", 0, 0, true},
		{"bad from", "FOO:TERM", 0, 0, true},
		{"bad to", "TERM:FOO", 0, 0, true},
		{"from 0", "0:TERM", 0, 0, true},
		{"from none", "none:TERM", 0, 0, true},
		{"to 65", "TERM:65", 0, 0, true},
		{"to -1", "TERM:-1", 0, 0, true},
		{"to 00", "TERM:00", 0, 0, true},
		{"space", "TERM: QUIT", 0, 0, true},
		{"from KILL", "KILL:TERM", 0, 0, true},
		{"from STOP", "STOP:TERM", 0, 0, true},
		{"from CHLD", "CHLD:TERM", 0, 0, true},
		{"from URG", "URG:TERM", 0, 0, true},
		{"from PROF", "PROF:TERM", 0, 0, true},
		{"from 9", "9:TERM", 0, 0, true},
		{"from 32", "32:TERM", 0, 0, true},
		{"from 33", "33:TERM", 0, 0, true},
		{"from 34", "34:TERM", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to, err := ParseRewrite(tt.in)
			if (err != nil) != tt.wantErr || from != tt.wantFrom || to != tt.wantTo {
				want := "<nil>"
				if tt.wantErr {
					want = "error"
				}
				t.Fatalf("ParseRewrite(%q) = %d, %d, %v; want %d, %d, %s", tt.in, int(from), int(to), err, int(tt.wantFrom), int(tt.wantTo), want)
			}
			if err != nil && !strings.Contains(err.Error(), tt.in) {
				t.Errorf("ParseRewrite(%q) error %q does not name the rule", tt.in, err)
			}
		})
	}
}

func TestParseRewrites(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    Rewrite
		wantErr bool
	}{
		{"nil", nil, nil, false},
		{"empty", []string{}, nil, false},
		{"one", []string{"TERM:QUIT"}, Rewrite{unix.SIGTERM: unix.SIGQUIT}, false},
		{"two", []string{"TERM:QUIT", "INT:TERM"}, Rewrite{unix.SIGTERM: unix.SIGQUIT, unix.SIGINT: unix.SIGTERM}, false},
		{"later wins", []string{"TERM:QUIT", "INT:TERM", "SIGTERM:none"}, Rewrite{unix.SIGTERM: 0, unix.SIGINT: unix.SIGTERM}, false},
		{"later wins by number", []string{"15:0", "term:hup"}, Rewrite{unix.SIGTERM: unix.SIGHUP}, false},
		{"one bad", []string{"TERM:QUIT", "KILL:TERM"}, nil, true},
		{"first bad", []string{"bogus", "TERM:QUIT"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRewrites(tt.in)
			if (err != nil) != tt.wantErr || !equalRewrite(got, tt.want) {
				t.Fatalf("ParseRewrites(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func equalRewrite(a, b Rewrite) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestRewriteApply(t *testing.T) {
	r := Rewrite{unix.SIGTERM: unix.SIGQUIT, unix.SIGWINCH: 0, unix.SIGINT: unix.SIGINT}
	tests := []struct {
		name   string
		r      Rewrite
		in     unix.Signal
		want   unix.Signal
		wantOK bool
	}{
		{"rewritten", r, unix.SIGTERM, unix.SIGQUIT, true},
		{"dropped", r, unix.SIGWINCH, 0, false},
		{"to itself", r, unix.SIGINT, unix.SIGINT, true},
		{"absent passes", r, unix.SIGHUP, unix.SIGHUP, true},
		{"target is not rewritten again", r, unix.SIGQUIT, unix.SIGQUIT, true},
		{"nil table", nil, unix.SIGTERM, unix.SIGTERM, true},
		{"empty table", Rewrite{}, 40, 40, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.r.Apply(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("%v.Apply(%d) = %d, %v; want %d, %v", tt.r, int(tt.in), int(got), ok, int(tt.want), tt.wantOK)
			}
		})
	}
}

func FuzzParseRewrite(f *testing.F) {
	for _, s := range []string{
		"TERM:QUIT", "sigint:term", "15:3", "WINCH:0", "TERM:none", "TERM:NONE",
		"KILL:TERM", "CHLD:TERM", "TERM", "", ":", "TERM:", ":TERM", "a:b:c",
		"RTMIN+1:RTMAX-1", "64:1", "34:1", "TERM:65",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		from, to, err := ParseRewrite(s)
		if err != nil {
			if from != 0 || to != 0 {
				t.Fatalf("ParseRewrite(%q) = %d, %d, %v; want 0, 0 with an error", s, int(from), int(to), err)
			}
			return
		}
		if !Forwardable(from) {
			t.Fatalf("ParseRewrite(%q) = %d, %d, <nil>; FROM is never forwarded", s, int(from), int(to))
		}
		if to != 0 && (to < 1 || to > Max) {
			t.Fatalf("ParseRewrite(%q) = %d, %d, <nil>; want TO 0 or in 1..%d", s, int(from), int(to), Max)
		}
		r, err := ParseRewrites([]string{s})
		if err != nil {
			t.Fatalf("ParseRewrites([%q]) = %v; ParseRewrite accepted it", s, err)
		}
		got, ok := r.Apply(from)
		if got != to || ok != (to != 0) {
			t.Fatalf("ParseRewrites([%q]).Apply(%d) = %d, %v; want %d, %v", s, int(from), int(got), ok, int(to), to != 0)
		}
	})
}

package signals

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// standard lists the names of signals 1..31 without the SIG prefix, written
// out here rather than read from the package's own table, so that a wrong
// entry there fails a test.
var standard = []struct {
	name string
	sig  unix.Signal
}{
	{"HUP", 1}, {"INT", 2}, {"QUIT", 3}, {"ILL", 4}, {"TRAP", 5}, {"ABRT", 6},
	{"BUS", 7}, {"FPE", 8}, {"KILL", 9}, {"USR1", 10}, {"SEGV", 11}, {"USR2", 12},
	{"PIPE", 13}, {"ALRM", 14}, {"TERM", 15}, {"STKFLT", 16}, {"CHLD", 17},
	{"CONT", 18}, {"STOP", 19}, {"TSTP", 20}, {"TTIN", 21}, {"TTOU", 22},
	{"URG", 23}, {"XCPU", 24}, {"XFSZ", 25}, {"VTALRM", 26}, {"PROF", 27},
	{"WINCH", 28}, {"IO", 29}, {"PWR", 30}, {"SYS", 31},
}

type parseCase struct {
	name    string
	in      string
	want    unix.Signal
	wantErr bool
}

// parseCases builds the table for TestParse: every standard name in several
// spellings, the aliases, every number, the real-time names and bad input.
func parseCases() []parseCase {
	var tests []parseCase
	for _, s := range standard {
		lower := strings.ToLower(s.name)
		mixed := strings.ToUpper(lower[:1]) + lower[1:]
		for _, in := range []string{s.name, lower, mixed, "SIG" + s.name, "sig" + lower, "Sig" + mixed, "sIg" + s.name} {
			tests = append(tests, parseCase{name: in, in: in, want: s.sig})
		}
	}
	for _, a := range []struct {
		name string
		sig  unix.Signal
	}{{"IOT", unix.SIGABRT}, {"CLD", unix.SIGCHLD}, {"POLL", unix.SIGIO}} {
		for _, in := range []string{a.name, strings.ToLower(a.name), "SIG" + a.name, "sig" + strings.ToLower(a.name)} {
			tests = append(tests, parseCase{name: in, in: in, want: a.sig})
		}
	}
	for n := 1; n <= 64; n++ {
		tests = append(tests, parseCase{name: "number " + strconv.Itoa(n), in: strconv.Itoa(n), want: unix.Signal(n)})
	}
	for n := 0; n <= 30; n++ {
		plus := "RTMIN+" + strconv.Itoa(n)
		minus := "RTMAX-" + strconv.Itoa(n)
		tests = append(tests,
			parseCase{name: plus, in: plus, want: unix.Signal(34 + n)},
			parseCase{name: "SIG" + plus, in: "SIG" + plus, want: unix.Signal(34 + n)},
			parseCase{name: minus, in: minus, want: unix.Signal(64 - n)},
			parseCase{name: "sig" + strings.ToLower(minus), in: "sig" + strings.ToLower(minus), want: unix.Signal(64 - n)},
		)
	}
	tests = append(tests,
		parseCase{name: "RTMIN", in: "RTMIN", want: 34},
		parseCase{name: "SIGRTMIN", in: "SIGRTMIN", want: 34},
		parseCase{name: "rtmax", in: "rtmax", want: 64},
		parseCase{name: "SIGRTMAX", in: "SIGRTMAX", want: 64},
		parseCase{name: "leading zero", in: "015", want: 15},
	)
	for _, in := range []string{
		"0", "65", "-1", "", "SIG", "sig", "FOO", "SIGFOO", "RTMIN+31", "RTMAX-31",
		" TERM", "TERM ", "15x", "1 5", "+15", "SIG15", "SIGSIGTERM", "SIG TERM",
		"RTMIN+", "RTMIN-1", "RTMAX+1", "RTMAX-", "RTMIN+x", "RTMIN++1", "RTMIN+-1",
		"RTMIN+1x", "RTMIN+99999999999999999999", "99999999999999999999", "1e1",
		"0x0f", "TERM\x00", "TÉRM", "ſIGTERM", "KILL9", "CHLDX", "RT", "RTMI",
	} {
		tests = append(tests, parseCase{name: fmt.Sprintf("bad %q", in), in: in, wantErr: true})
	}
	return tests
}

func TestParse(t *testing.T) {
	for _, tt := range parseCases() {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				want := "<nil>"
				if tt.wantErr {
					want = "error"
				}
				t.Fatalf("Parse(%q) = %d, %v; want %d, %s", tt.in, int(got), err, int(tt.want), want)
			}
			if err != nil && !strings.Contains(err.Error(), strconv.Quote(tt.in)) {
				t.Errorf("Parse(%q) error %q does not name the input", tt.in, err)
			}
		})
	}
}

func TestName(t *testing.T) {
	tests := []struct {
		name string
		in   unix.Signal
		want string
	}{
		{"zero", 0, "signal 0"},
		{"negative", -1, "signal -1"},
		{"32", 32, "signal 32"},
		{"33", 33, "signal 33"},
		{"RTMIN", 34, "SIGRTMIN"},
		{"RTMIN+1", 35, "SIGRTMIN+1"},
		{"RTMIN+29", 63, "SIGRTMIN+29"},
		{"RTMAX", 64, "SIGRTMAX"},
		{"65", 65, "signal 65"},
	}
	for _, s := range standard {
		tests = append(tests, struct {
			name string
			in   unix.Signal
			want string
		}{s.name, s.sig, "SIG" + s.name})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Name(tt.in); got != tt.want {
				t.Errorf("Name(%d) = %q; want %q", int(tt.in), got, tt.want)
			}
		})
	}
}

// TestNameRoundTrip checks that Parse reads back every name Name gives.
func TestNameRoundTrip(t *testing.T) {
	for n := 1; n <= Max; n++ {
		sig := unix.Signal(n)
		name := Name(sig)
		if strings.HasPrefix(name, "signal ") {
			if n != 32 && n != 33 {
				t.Errorf("Name(%d) = %q; want a signal name", n, name)
			}
			continue
		}
		if got, err := Parse(name); err != nil || got != sig {
			t.Errorf("Parse(Name(%d)) = Parse(%q) = %d, %v; want %d, <nil>", n, name, int(got), err, n)
		}
		if got, err := Parse(strings.TrimPrefix(name, "SIG")); err != nil || got != sig {
			t.Errorf("Parse(%q) = %d, %v; want %d, <nil>", strings.TrimPrefix(name, "SIG"), int(got), err, n)
		}
	}
}

func TestCatchableForwardable(t *testing.T) {
	tests := []struct {
		name            string
		in              unix.Signal
		wantCatchable   bool
		wantForwardable bool
	}{
		{"zero", 0, false, false},
		{"negative", -1, false, false},
		{"65", 65, false, false},
		{"KILL", unix.SIGKILL, false, false},
		{"STOP", unix.SIGSTOP, false, false},
		{"CHLD", unix.SIGCHLD, true, false},
		{"URG", unix.SIGURG, true, false},
		{"PROF", unix.SIGPROF, true, false},
		{"32", 32, true, false},
		{"33", 33, true, false},
		{"34", 34, true, false},
		{"35", 35, true, true},
		{"64", 64, true, true},
	}
	never := map[unix.Signal]bool{unix.SIGKILL: true, unix.SIGSTOP: true}
	for _, s := range standard {
		if never[s.sig] {
			continue
		}
		fwd := s.sig != unix.SIGCHLD && s.sig != unix.SIGURG && s.sig != unix.SIGPROF
		tests = append(tests, struct {
			name            string
			in              unix.Signal
			wantCatchable   bool
			wantForwardable bool
		}{s.name, s.sig, true, fwd})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Catchable(tt.in); got != tt.wantCatchable {
				t.Errorf("Catchable(%d) = %v; want %v", int(tt.in), got, tt.wantCatchable)
			}
			if got := Forwardable(tt.in); got != tt.wantForwardable {
				t.Errorf("Forwardable(%d) = %v; want %v", int(tt.in), got, tt.wantForwardable)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"TERM", "sigterm", "SIGTERM", "15", "1", "64", "0", "65", "-1", "", "SIG",
		"RTMIN", "RTMIN+3", "SIGRTMAX-2", "RTMIN+31", "rtmax-30", "IOT", "cld",
		"poll", " TERM", "15x", "015", "+15", "99999999999999999999", "RTMIN+0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := Parse(s)
		if err != nil {
			if sig != 0 {
				t.Fatalf("Parse(%q) = %d, %v; want 0 with an error", s, int(sig), err)
			}
			return
		}
		if sig < 1 || sig > Max {
			t.Fatalf("Parse(%q) = %d, <nil>; want a signal in 1..%d", s, int(sig), Max)
		}
		name := Name(sig)
		if strings.HasPrefix(name, "signal ") {
			return
		}
		if back, err := Parse(name); err != nil || back != sig {
			t.Fatalf("Parse(Name(Parse(%q))) = Parse(%q) = %d, %v; want %d, <nil>", s, name, int(back), err, int(sig))
		}
	})
}

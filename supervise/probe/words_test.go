package probe

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitWords(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string // substring of the error; "" means no error
	}{
		{name: "one word", in: "true", want: []string{"true"}},
		{name: "spaces", in: "  curl  -fsS   http://x/  ", want: []string{"curl", "-fsS", "http://x/"}},
		{name: "tabs and newlines", in: "a\tb\nc\r\nd", want: []string{"a", "b", "c", "d"}},
		{name: "unicode space", in: "a\u00a0b\u2003c", want: []string{"a", "b", "c"}},
		{name: "single quotes", in: `sh -c 'echo "$HOME" \n'`, want: []string{"sh", "-c", `echo "$HOME" \n`}},
		{name: "double quotes", in: `echo "a  b"`, want: []string{"echo", "a  b"}},
		{name: "double quote escapes", in: `x "\" \\ \$ \` + "`" + `"`, want: []string{"x", "\" \\ $ `"}},
		{name: "double quote other backslash kept", in: `x "\a\n\'"`, want: []string{"x", `\a\n\'`}},
		{name: "double quote line continuation", in: "x \"a\\\nb\"", want: []string{"x", "ab"}},
		{name: "single quote keeps backslash", in: `x 'a\'`, want: []string{"x", `a\`}},
		{name: "backslash outside quotes", in: `a\ b c\"d \'e\\`, want: []string{"a b", `c"d`, `'e\`}},
		{name: "backslash newline joins", in: "ab\\\ncd e", want: []string{"abcd", "e"}},
		{name: "backslash newline alone", in: "a \\\n b", want: []string{"a", "b"}},
		{name: "backslash multibyte", in: `x \é`, want: []string{"x", "é"}},
		{name: "joined parts", in: `"a"'b'c\ d`, want: []string{"abc d"}},
		{name: "empty argument", in: `printf '' "" x`, want: []string{"printf", "", "", "x"}},
		{name: "empty quotes join", in: `a''b`, want: []string{"ab"}},
		{name: "no expansion", in: `echo $HOME ~ *.go $(id) ; | && > #c`, want: []string{"echo", "$HOME", "~", "*.go", "$(id)", ";", "|", "&&", ">", "#c"}},
		{name: "quote inside other quote", in: `a "it's" 'say "hi"'`, want: []string{"a", "it's", `say "hi"`}},
		{name: "invalid utf8 kept", in: "a\xff b\xc3", want: []string{"a\xff", "b\xc3"}},
		{name: "empty", in: "", wantErr: "no command"},
		{name: "blank", in: " \t\n ", wantErr: "no command"},
		{name: "only continuation", in: "\\\n", wantErr: "no command"},
		{name: "empty command name", in: `'' x`, wantErr: "empty command name"},
		{name: "unterminated single", in: `echo 'abc`, wantErr: "unterminated single quote at offset 5"},
		{name: "unterminated double", in: `echo "abc`, wantErr: "unterminated double quote at offset 5"},
		{name: "unterminated double after escape", in: `echo "abc\"`, wantErr: "unterminated double quote"},
		{name: "trailing backslash", in: `echo abc\`, wantErr: "trailing backslash"},
		{name: "nul", in: "echo a\x00b", wantErr: "NUL byte at offset 6"},
		{name: "nul in quotes", in: "echo 'a\x00b'", wantErr: "NUL byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitWords(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("SplitWords(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "split words ") {
					t.Errorf("SplitWords(%q) error %q does not name the operation", tt.in, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("SplitWords(%q) = %q, %v; want %q, <nil>", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzSplitWords(f *testing.F) {
	for _, s := range []string{
		"true",
		"curl -fsS http://127.0.0.1:8080/healthz",
		`sh -c 'test -f /tmp/ready'`,
		`pg_isready -h "$HOST" -U postgres`,
		`a\ b "c\"d" 'e'"f"`,
		"a\\\nb",
		`'' x`,
		`"unterminated`,
		"\xff\xfe \u00a0 x",
		"",
		"a\x00b",
		"0\\\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitWords(s)
		if err != nil {
			if words != nil {
				t.Fatalf("SplitWords(%q) = %q, %v; want nil words with an error", s, words, err)
			}
			if !strings.ContainsAny(s, "'\"\\\x00") && len(strings.Fields(s)) > 0 {
				t.Fatalf("SplitWords(%q) = %v; want strings.Fields %q", s, err, strings.Fields(s))
			}
			return
		}
		if len(words) == 0 || words[0] == "" {
			t.Fatalf("SplitWords(%q) = %q, <nil>; want a non-empty command name", s, words)
		}
		for _, w := range words {
			if strings.IndexByte(w, 0) >= 0 {
				t.Fatalf("SplitWords(%q) = %q; a word holds a NUL byte", s, words)
			}
		}
		// With nothing to unquote, the shell's split is strings.Fields.
		if !strings.ContainsAny(s, "'\"\\\x00") {
			if want := strings.Fields(s); !slices.Equal(words, want) {
				t.Fatalf("SplitWords(%q) = %q; want strings.Fields %q", s, words, want)
			}
		}
		// Quoting every word with single quotes round-trips.
		var b strings.Builder
		for i, w := range words {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString("'" + strings.ReplaceAll(w, "'", `'\''`) + "'")
		}
		again, err := SplitWords(b.String())
		if err != nil || !slices.Equal(again, words) {
			t.Fatalf("SplitWords(%q) = %q, %v; want %q (requoted from %q)", b.String(), again, err, words, s)
		}
	})
}

//go:build linux

package integration

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dockerInstr is one Dockerfile instruction, continuation lines joined and
// comment lines dropped.
type dockerInstr struct {
	line int    // where it starts, 1-based
	cmd  string // upper case: FROM, RUN, ENTRYPOINT…
	args string
}

// parseDockerfile splits a Dockerfile into instructions. It follows the
// reference's rules that matter here: a line whose first non-blank is '#'
// is a comment (also between continuation lines), and a line ending in '\'
// continues on the next.
func parseDockerfile(text string) []dockerInstr {
	var out []dockerInstr
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		cont := strings.HasSuffix(trimmed, `\`)
		cur.WriteString(strings.TrimSpace(strings.TrimSuffix(trimmed, `\`)))
		cur.WriteString(" ")
		if cont {
			continue
		}
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, dockerInstr{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// dockerStage is one FROM and the instructions after it.
type dockerStage struct {
	from   dockerInstr
	image  string // the image reference, flags removed
	name   string // the AS name, lower case; "" if none
	instrs []dockerInstr
}

func dockerStages(instrs []dockerInstr) []dockerStage {
	var stages []dockerStage
	for _, in := range instrs {
		if in.cmd != "FROM" {
			if len(stages) > 0 {
				stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, in)
			}
			continue
		}
		var words []string
		for _, w := range strings.Fields(in.args) {
			if !strings.HasPrefix(w, "--") { // --platform=…
				words = append(words, w)
			}
		}
		st := dockerStage{from: in}
		if len(words) > 0 {
			st.image = words[0]
		}
		if len(words) == 3 && strings.EqualFold(words[1], "AS") {
			st.name = strings.ToLower(words[2])
		}
		stages = append(stages, st)
	}
	return stages
}

// dockerVersionTag matches a tag that names a version: 1.26.8-bookworm,
// v1.2, debian12, nonroot is not one.
var dockerVersionTag = regexp.MustCompile(`[0-9]`)

// dockerPinned reports why image is not pinned, or "" when it is: a tag
// that names a version (not latest), or a digest.
func dockerPinned(image string) string {
	if image == "scratch" {
		return ""
	}
	if _, digest, ok := strings.Cut(image, "@"); ok {
		if strings.HasPrefix(digest, "sha256:") && len(digest) == len("sha256:")+64 {
			return ""
		}
		return "malformed digest"
	}
	// The tag follows the last ':' after the last '/' (a registry may have a port).
	last := image[strings.LastIndex(image, "/")+1:]
	_, tag, ok := strings.Cut(last, ":")
	switch {
	case !ok:
		return "no tag (that means latest)"
	case tag == "latest" || strings.Contains(tag, "latest"):
		return "latest tag"
	case !dockerVersionTag.MatchString(tag):
		return "tag " + tag + " names no version"
	}
	return ""
}

func TestDockerfileExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "Dockerfile.example"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	stages := dockerStages(parseDockerfile(text))

	if len(stages) < 2 {
		t.Fatalf("Dockerfile.example has %d stages; want a multi-stage build", len(stages))
	}
	names := map[string]bool{}
	for _, st := range stages {
		switch {
		case st.image == "":
			t.Errorf("line %d: FROM with no image", st.from.line)
		case names[strings.ToLower(st.image)]:
			// FROM an earlier stage.
		default:
			if why := dockerPinned(st.image); why != "" {
				t.Errorf("line %d: FROM %s is not pinned: %s", st.from.line, st.image, why)
			}
		}
		if st.name != "" {
			names[st.name] = true
		}
	}

	var cgoOff bool
	for _, st := range stages[:len(stages)-1] {
		for _, in := range st.instrs {
			if in.cmd == "RUN" && strings.Contains(in.args, "CGO_ENABLED=0") && strings.Contains(in.args, "go build") {
				cgoOff = true
			}
		}
	}
	if !cgoOff {
		t.Error("no build stage runs `CGO_ENABLED=0 go build`: tend must be static")
	}

	final := stages[len(stages)-1]
	if img := final.image; img != "scratch" && !strings.HasPrefix(img, "gcr.io/distroless/static") {
		t.Errorf("final stage is FROM %s; want scratch or a pinned distroless static image", img)
	}
	var entrypoint, user *dockerInstr
	var copies []string
	tendVars := map[string]bool{}
	for i, in := range final.instrs {
		switch in.cmd {
		case "ENTRYPOINT":
			entrypoint = &final.instrs[i]
		case "USER":
			user = &final.instrs[i]
		case "COPY", "ADD":
			copies = append(copies, in.args)
		case "ENV":
			for _, m := range regexp.MustCompile(`\bTEND_[A-Z_]+=`).FindAllString(in.args, -1) {
				tendVars[strings.TrimSuffix(m, "=")] = true
			}
		}
	}

	switch {
	case entrypoint == nil:
		t.Error("final stage has no ENTRYPOINT")
	default:
		var argv []string
		if err := json.Unmarshal([]byte(entrypoint.args), &argv); err != nil {
			t.Errorf("line %d: ENTRYPOINT %s is not in exec form (a JSON array): %v", entrypoint.line, entrypoint.args, err)
		} else if len(argv) == 0 || path.Base(argv[0]) != "tend" {
			t.Errorf("line %d: ENTRYPOINT %q does not run tend", entrypoint.line, argv)
		} else if argv[len(argv)-1] != "--" {
			t.Errorf("line %d: ENTRYPOINT %q does not end with \"--\" (CMD would be read as tend's options)", entrypoint.line, argv)
		}
	}

	switch {
	case user == nil:
		t.Error("final stage has no USER: it would run as root")
	default:
		name, _, _ := strings.Cut(user.args, ":")
		if name == "" || name == "root" || strings.TrimLeft(name, "0") == "" {
			t.Errorf("line %d: USER %s is root", user.line, user.args)
		}
	}

	var copiesTend bool
	for _, c := range copies {
		if !strings.Contains(c, "--from=") {
			t.Errorf("final stage copies %q from the build context: it should hold only what the build stages made", c)
		}
		f := strings.Fields(c)
		if len(f) > 0 && path.Base(f[len(f)-1]) == "tend" {
			copiesTend = true
		}
	}
	if !copiesTend {
		t.Error("final stage does not COPY tend")
	}

	for _, v := range []string{"TEND_GRACE"} {
		if !tendVars[v] {
			t.Errorf("final stage does not set %s", v)
		}
	}

	// The one-liner for adding tend to an existing image, as a comment.
	if !regexp.MustCompile(`(?m)^#\s*COPY --from=\S+ \S*tend \S*tend\s*$`).MatchString(text) {
		t.Error("no commented `COPY --from=… tend` one-liner for adding tend to an existing image")
	}
}

func TestDockerfilePinned(t *testing.T) {
	tests := []struct {
		image string
		ok    bool
	}{
		{"scratch", true},
		{"golang:1.26.8-bookworm", true},
		{"gcr.io/distroless/static-debian12:nonroot", false},
		{"gcr.io/distroless/static-debian12:debug-nonroot", false},
		{"gcr.io/distroless/static-debian12:nonroot@sha256:" + strings.Repeat("a", 64), true},
		{"golang", false},
		{"golang:latest", false},
		{"localhost:5000/golang", false},
		{"localhost:5000/golang:1.26", true},
		{"golang@sha256:abc", false},
	}
	for _, tt := range tests {
		if why := dockerPinned(tt.image); (why == "") != tt.ok {
			t.Errorf("dockerPinned(%q) = %q; want pinned=%v", tt.image, why, tt.ok)
		}
	}
}

func TestDockerfileParse(t *testing.T) {
	got := parseDockerfile("# c\nFROM a:1 AS b\nRUN x \\\n  # inner comment\n  y\n\nENTRYPOINT [\"/tend\", \"--\"]\n")
	want := []dockerInstr{
		{2, "FROM", "a:1 AS b"},
		{3, "RUN", "x y"},
		{7, "ENTRYPOINT", `["/tend", "--"]`},
	}
	if len(got) != len(want) {
		t.Fatalf("parseDockerfile = %+v; want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("instruction %d = %+v; want %+v", i, got[i], want[i])
		}
	}
}

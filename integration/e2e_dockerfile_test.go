//go:build e2e && linux

package integration

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2EDockerfileExampleBuilds builds Dockerfile.example with `podman
// build` and runs the image it makes. No registry is reachable, so the Go
// build image it names is stood in for by the test image (busybox) with this
// machine's Go toolchain and module cache bind-mounted (GOPROXY=off): the
// Dockerfile's own steps, the FROM scratch stage, USER and ENTRYPOINT are
// the real ones. The app is a tiny Go program that prints its uid and exits 3.
func TestE2EDockerfileExampleBuilds(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := filepath.Join(root, "Dockerfile.example")
	data, err := os.ReadFile(dockerfile)
	if err != nil {
		t.Fatal(err)
	}

	goEnv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", name, err)
		}
		return strings.TrimSpace(string(out))
	}
	goroot, modcache := goEnv("GOROOT"), goEnv("GOMODCACHE")
	// tend's dependencies must be in the module cache for GOPROXY=off.
	download := exec.Command("go", "mod", "download")
	download.Dir = root
	if out, err := download.CombinedOutput(); err != nil {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}

	// The stand-in for every FROM image but scratch and earlier stages.
	stages := map[string]bool{}
	for _, st := range dockerStages(parseDockerfile(string(data))) {
		switch {
		case st.image == "scratch" || stages[strings.ToLower(st.image)]:
		case strings.Contains(st.image, "@"):
			t.Skipf("FROM %s is pinned by digest: podman import cannot make a stand-in for it", st.image)
		default:
			r := p.podman(bytes.NewReader(e2eEnv.image), "import", "--quiet",
				"--change", "ENV PATH=/usr/local/go/bin:/bin", "--change", "ENV GOPROXY=off",
				"--change", "ENV GOTOOLCHAIN=local", "--change", "ENV GOMODCACHE=/go/pkg/mod",
				"--change", "ENV GOFLAGS=-mod=mod", "--change", "ENV HOME=/root",
				"-", st.image)
			if r.code != 0 {
				t.Fatalf("podman import (stand-in for %s): %s", st.image, r)
			}
		}
		if st.name != "" {
			stages[st.name] = true
		}
	}

	// The build context: tend's source as tend/, the app as app/.
	ctx := filepath.Join(e2eTempDir(t), "context")
	if err := e2eCopySource(root, filepath.Join(ctx, "tend")); err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(ctx, "app")
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"go.mod":  "module app\n\ngo 1.26\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tfmt.Println(\"app: uid\", os.Getuid())\n\tos.Exit(3)\n}\n",
	} {
		if err := os.WriteFile(filepath.Join(app, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	image := "localhost/tend-e2e-app:" + e2eID(t)
	r := p.podman(nil, "build", "--pull=never", "--network=none",
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
		"--volume", goroot+":/usr/local/go:ro",
		"--volume", modcache+":/go/pkg/mod",
		"--build-arg", "TEND_VERSION=v0.0.0-e2e",
		"--file", dockerfile, "--tag", image, ctx)
	if r.code != 0 {
		t.Fatalf("podman build -f Dockerfile.example: %s", r)
	}

	inspect := p.podman(nil, "image", "inspect", "--format", "{{.Config.User}}|{{json .Config.Entrypoint}}", image)
	if got, want := strings.TrimSpace(inspect.stdout), `65532:65532|["/tend","--"]`; got != want {
		t.Errorf("image config = %q; want %q\n%s", got, want, inspect)
	}

	flags := []string{"--rm", "--read-only", "--tmpfs", "/tmp"}
	run := func(extra []string, cmd ...string) e2eResult {
		args := []string{"run"}
		args = append(args, e2eRunFlags...)
		args = append(args, append(flags, extra...)...)
		return p.podman(nil, append(append(args, image), cmd...)...)
	}
	if r := run(nil); r.code != 3 || !strings.Contains(r.stdout, "app: uid 65532") {
		t.Errorf("the built image, run as is: want the app as uid 65532 and exit status 3\n%s", r)
	}
	if r := run([]string{"-e", "TEND_REMAP_EXIT=3:0"}); r.code != 0 {
		t.Errorf("the built image with -e TEND_REMAP_EXIT=3:0: want exit status 0\n%s", r)
	}
	if r := run([]string{"--entrypoint", "/tend"}, "--version"); r.code != 0 || !strings.Contains(r.stdout, "v0.0.0-e2e") {
		t.Errorf("tend --version in the built image: want the TEND_VERSION build argument\n%s", r)
	}
}

// e2eCopySource copies the Go module at root to dst: go.mod, go.sum and the
// non-test .go files of its packages, without the test-only and nested-module
// directories.
func e2eCopySource(root, dst string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch rel {
			case ".git", "bin", "dist", "examples", "integration", "bench":
				return filepath.SkipDir
			}
			return nil
		}
		base := d.Name()
		source := strings.HasSuffix(base, ".go") || strings.HasSuffix(base, ".s") // spawn's vfork is in assembly
		if base != "go.mod" && base != "go.sum" && (!source || strings.HasSuffix(base, "_test.go")) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
}

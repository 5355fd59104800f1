//go:build e2e && linux

package integration

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestE2EKubernetesExamples runs the checks of examples/kubernetes, a module
// of its own (it needs k8s.io/api, which tend's module must not depend on),
// so that `make e2e` decodes and checks the manifests too.
func TestE2EKubernetesExamples(t *testing.T) {
	t.Parallel()
	dir, err := filepath.Abs(filepath.Join("..", "examples", "kubernetes"))
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"vet", "./..."}, {"test", "-count=1", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("go %v in %s: %v\n%s", args, dir, err, out)
		}
	}
}

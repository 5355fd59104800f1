//go:build e2e && linux

package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// e2eKube runs `podman kube play` on a pod like examples/kubernetes's
// injection.yaml: an initContainer from a tend image (FROM scratch, only
// /tend, built from the local tend like `make image`) copies tend into an
// emptyDir, and the app's container (the harness's busybox image) runs
// /tend-bin/tend from there. Nothing comes from a registry.
type e2eKube struct {
	*e2ePodman
	conf     string // CONTAINERS_CONF: the machine's runtime and rlimits for kube play
	tendImg  string
	yamlPath string
	pod      string
	out      string // a host directory the app writes to, mounted at /out
}

// e2eNewKube builds the tend image in the test's podman storage and writes
// the pod's YAML, with the app running script under the injected tend.
func e2eNewKube(t *testing.T, script string) *e2eKube {
	t.Helper()
	p := e2eNewPodman(t)
	dir := e2eTempDir(t)
	k := &e2eKube{
		e2ePodman: p,
		conf:      filepath.Join(dir, "containers.conf"),
		tendImg:   "localhost/tend-kube:" + e2eID(t),
		yamlPath:  filepath.Join(dir, "pod.yaml"),
		pod:       "tend-kube-" + e2eID(t),
		out:       filepath.Join(dir, "out"),
	}
	// kube play has no --ulimit; default_ulimits does the same.
	conf := "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n" +
		"[engine]\ncgroup_manager = \"cgroupfs\"\nruntime = \"runc\"\n"
	ctxDir := filepath.Join(dir, "ctx")
	for _, d := range []string{ctxDir, k.out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tend, err := os.ReadFile(p.tend)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		k.conf:                                 []byte(conf),
		filepath.Join(ctxDir, "tend"):          tend,
		filepath.Join(ctxDir, "Containerfile"): []byte("FROM scratch\nCOPY tend /tend\nENTRYPOINT [\"/tend\"]\n"),
	} {
		if err := os.WriteFile(name, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if r := k.kube("build", "--quiet", "-t", k.tendImg, ctxDir); r.code != 0 {
		t.Fatalf("podman build (the tend image): %s", r)
	}
	t.Cleanup(func() {
		if r := k.kube("rmi", "--force", "--ignore", k.tendImg); r.code != 0 {
			t.Logf("podman rmi: %s", r)
		}
	})
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	yaml := `apiVersion: v1
kind: Pod
metadata:
  name: ` + k.pod + `
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 20
  initContainers:
    - name: install-tend
      image: ` + k.tendImg + `
      command: ["/tend", "--copy-to", "/tend-bin"]
      volumeMounts:
        - name: tend-bin
          mountPath: /tend-bin
  containers:
    - name: app
      image: ` + p.image + `
      command: ["/tend-bin/tend", "--"]
      args: ["sh", "-c", ` + q(script) + `]
      volumeMounts:
        - name: tend-bin
          mountPath: /tend-bin
        - name: out
          mountPath: /out
  volumes:
    - name: tend-bin
      emptyDir: {}
    - name: out
      hostPath:
        path: ` + k.out + `
        type: Directory
`
	if err := os.WriteFile(k.yamlPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return k
}

// kube runs podman with the test's storage and CONTAINERS_CONF.
func (k *e2eKube) kube(args ...string) e2eResult {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eCmdTimeout)
	defer cancel()
	cmd := k.command(ctx, args...)
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+k.conf)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := e2eResult{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode(), elapsed: time.Since(start)}
	if ctx.Err() != nil || (err != nil && r.code < 0) {
		k.t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, r)
	}
	return r
}

// play starts the pod; cleanup takes it down (a no-op if the test did).
func (k *e2eKube) play() {
	k.t.Helper()
	k.t.Cleanup(func() {
		if r := k.kube("pod", "rm", "--force", "--ignore", "--time", "0", k.pod); r.code != 0 {
			k.t.Errorf("podman pod rm: %s", r)
		}
	})
	if r := k.kube("kube", "play", "--network", "none", k.yamlPath); r.code != 0 {
		k.t.Fatalf("podman kube play: %s", r)
	}
}

// app is the app container's name, as kube play makes it.
func (k *e2eKube) app() string { return k.pod + "-app" }

// waitFile waits until the app has written name under /out, and returns it.
func (k *e2eKube) waitFile(name string, d time.Duration) string {
	k.t.Helper()
	var data []byte
	if !poll(d, func() bool {
		var err error
		data, err = os.ReadFile(filepath.Join(k.out, name))
		return err == nil && bytes.HasSuffix(data, []byte("\n"))
	}) {
		logs := k.kube("logs", k.app())
		k.t.Fatalf("no /out/%s from the app after %v; app logs:\n%s", name, d, logs)
	}
	return string(data)
}

// TestE2EKubePlayInjectionExitStatus: the initContainer copies tend into
// the emptyDir, the app's container runs under it as PID 1, and the app's
// exit status is the container's.
func TestE2EKubePlayInjectionExitStatus(t *testing.T) {
	t.Parallel()
	k := e2eNewKube(t, `cat /proc/1/comm > /out/pid1; exit 7`)
	k.play()
	if got := k.waitFile("pid1", 30*time.Second); got != "tend\n" {
		t.Errorf("PID 1 of the app's container is %q; want tend", got)
	}
	r := k.kube("wait", k.app())
	if r.code != 0 {
		t.Fatalf("podman wait: %s", r)
	}
	if got := strings.TrimSpace(r.stdout); got != "7" {
		t.Errorf("the app's container exited %s; want 7 (the app's status through tend)", got)
	}
	r = k.kube("inspect", "--format", "{{.State.ExitCode}}", k.app())
	if got := strings.TrimSpace(r.stdout); r.code != 0 || got != "7" {
		t.Errorf("podman inspect: exit code %q; want 7\n%s", got, r)
	}
}

// TestE2EKubePlayInjectionSignals: podman kill -s USR1 on the app's
// container reaches the app through the injected tend; podman pod stop (a
// kubelet's delete) gets the app its SIGTERM, and it exits 0 well within
// the grace; podman kube down then removes the pod within the grace.
func TestE2EKubePlayInjectionSignals(t *testing.T) {
	t.Parallel()
	k := e2eNewKube(t, `trap 'echo usr1 >> /out/usr1' USR1; trap 'echo term > /out/term; exit 0' TERM; `+
		`echo ready > /out/ready; while :; do sleep 0.1; done`)
	k.play()
	k.waitFile("ready", 30*time.Second)
	if r := k.kube("kill", "--signal", "USR1", k.app()); r.code != 0 {
		t.Fatalf("podman kill -s USR1: %s", r)
	}
	k.waitFile("usr1", 10*time.Second)

	// What the kubelet does on a delete: SIGTERM to each container, SIGKILL
	// at the pod's grace (20s).
	r := k.kube("pod", "stop", "--time", "20", k.pod)
	if r.code != 0 {
		t.Fatalf("podman pod stop: %s", r)
	}
	if r.elapsed > 10*time.Second {
		t.Errorf("podman pod stop took %v: the runtime's SIGKILL, not the app, ended the pod", r.elapsed)
	}
	if got := k.waitFile("term", 5*time.Second); got != "term\n" {
		t.Errorf("/out/term = %q; want the app's SIGTERM trap to have run", got)
	}
	if r := k.kube("inspect", "--format", "{{.State.ExitCode}}", k.app()); strings.TrimSpace(r.stdout) != "0" {
		t.Errorf("the app's container exited %q after SIGTERM; want 0 (the app's trap)\n%s", r.stdout, r)
	}
	r = k.kube("kube", "down", k.yamlPath)
	if r.code != 0 {
		t.Fatalf("podman kube down: %s", r)
	}
	if r.elapsed > 20*time.Second {
		t.Errorf("podman kube down took %v, beyond the pod's 20s grace", r.elapsed)
	}
	if r := k.kube("pod", "exists", k.pod); r.code == 0 {
		t.Errorf("pod %s still exists after podman kube down", k.pod)
	}
}

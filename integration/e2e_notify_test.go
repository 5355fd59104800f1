//go:build e2e && linux

package integration

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// e2eNotifyApp is a static app that speaks sd_notify: it prints its
// NOTIFY_SOCKET, waits for SIGUSR1 (podman kill → tend → the app), then
// sends READY=1 and STATUS=serving and waits to be stopped.
const e2eNotifyApp = `package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	sock := os.Getenv("NOTIFY_SOCKET")
	fmt.Println("app: waiting socket=" + sock)
	<-usr1
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err == nil {
		_, err = c.Write([]byte("READY=1\nSTATUS=serving"))
	}
	if err != nil {
		fmt.Println("app: notify:", err)
		os.Exit(1)
	}
	fmt.Println("app: sent READY=1")
	for {
		time.Sleep(time.Hour)
	}
}
`

// e2eBuildNotifyApp builds e2eNotifyApp statically into dir.
func e2eBuildNotifyApp(t *testing.T, dir string) string {
	t.Helper()
	src := filepath.Join(dir, "app.go")
	if err := os.WriteFile(src, []byte(e2eNotifyApp), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "notify-app")
	cmd := exec.Command("go", "build", "-o", bin, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build the notify app: %v\n%s", err, out)
	}
	return bin
}

// TestE2EPodmanNotify: podman run --sdnotify=container, itself given a
// NOTIFY_SOCKET (the test's, as systemd would give it), passes a socket of
// its own into the container; tend (--notify, through TEND_NOTIFY) gives
// its app a socket of tend's and tells podman's READY=1 only once the app
// said READY=1, which podman relays to the test's socket.
func TestE2EPodmanNotify(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	dir := e2eTempDir(t)
	app := e2eBuildNotifyApp(t, dir)

	path := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(got)
				return
			}
			got <- string(buf[:n])
		}
	}()
	// readyIn reports whether a datagram holding READY=1 arrives within d;
	// the others (podman's MAINPID=) are logged.
	readyIn := func(d time.Duration) bool {
		timer := time.NewTimer(d)
		defer timer.Stop()
		for {
			select {
			case msg, ok := <-got:
				if !ok {
					return false
				}
				t.Logf("podman sent %q", msg)
				if strings.Contains("\n"+msg+"\n", "\nREADY=1\n") {
					return true
				}
			case <-timer.C:
				return false
			}
		}
	}

	name := p.name()
	ctx, cancel := context.WithTimeout(context.Background(), e2eCmdTimeout)
	defer cancel()
	// In the background: podman run may wait for READY=1 before it returns.
	cmd := p.command(ctx, p.runArgs(name, []string{"--detach", "--sdnotify=container",
		"--env", "TEND_NOTIFY=1", "--volume", app + ":/notify-app:ro"}, "/notify-app")...)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("podman run: %v", err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- cmd.Wait() }()

	var logs e2eResult
	if !poll(30*time.Second, func() bool {
		logs = p.podman(nil, "logs", name)
		return strings.Contains(logs.stdout, "app: waiting")
	}) {
		select {
		case err := <-runDone:
			if strings.Contains(out.String(), "sdnotify") {
				e2eSkipOrFail(t, "podman run --sdnotify=container does not work here: %v\n%s", err, out.String())
			}
			t.Fatalf("podman run exited before the app started: %v\n%s", err, out.String())
		default:
		}
		t.Fatalf("the app did not start within 30s:\n%s\npodman run: %s", logs, out.String())
	}
	if !strings.Contains(logs.stdout, "socket=/") || strings.Contains(logs.stdout, "socket=/run/notify/") {
		t.Fatalf("the app's NOTIFY_SOCKET is not tend's own:\n%s", logs)
	}
	if readyIn(500 * time.Millisecond) {
		t.Fatalf("READY=1 reached podman's NOTIFY_SOCKET before the app said it\n%s", p.logs(name))
	}
	if r := p.podman(nil, "kill", "--signal", "USR1", name); r.code != 0 {
		t.Fatalf("podman kill --signal USR1: %s", r)
	}
	if !readyIn(30 * time.Second) {
		t.Fatalf("no READY=1 on podman's NOTIFY_SOCKET within 30s of the app's\n%s\npodman run: %s", p.logs(name), out.String())
	}
	if err := <-runDone; err != nil {
		t.Errorf("podman run --detach: %v\n%s", err, out.String())
	}
	if r := p.podman(nil, "stop", "--time", "20", name); r.code != 0 {
		t.Fatalf("podman stop: %s", r)
	}
}

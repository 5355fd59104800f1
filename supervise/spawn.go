package supervise

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// listenExecArg marks tend's re-exec as the socket-activation trampoline.
const listenExecArg = "--tend-internal-listen-exec"

// ListenTrampoline must be called first thing in main. When tend started
// itself as the socket-activation trampoline (args[1] is the marker), it sets
// LISTEN_PID to its own pid, which is the child's pid from now on, and
// execs the command; it returns only when args are not the trampoline's.
//
// A Go program cannot run code in a child between fork and exec, and
// LISTEN_PID must hold the pid of the process that reads LISTEN_FDS, so this
// costs one extra exec, only when LISTEN_FDS is set.
func ListenTrampoline(args []string) {
	if len(args) < 4 || args[1] != listenExecArg {
		return
	}
	path, argv := args[2], args[3:]
	env := setEnv(os.Environ(), "LISTEN_PID", strconv.Itoa(os.Getpid()))
	err := syscall.Exec(path, argv, env)
	os.Stderr.WriteString("tend: " + (&StartError{Name: argv[0], Err: err}).Error() + "\n")
	os.Exit(startErrorCode(err))
}

// command is the resolved main command, ready to fork.
type command struct {
	name       string   // as the user gave it
	path       string   // what execve gets
	argv       []string // argv[0] as given
	env        []string
	dir        string
	id         *identity
	foreground bool // stdin is a terminal: give it to the child's group
	listenExec string
}

// prepareCommand resolves everything about argv that can fail before a
// child exists: the PATH search, --user and the environment.
func prepareCommand(cfg *Config) (*command, error) {
	c := &command{name: cfg.Argv[0], argv: cfg.Argv, dir: cfg.Workdir, env: os.Environ()}
	path, err := lookPath(c.name, os.Getenv("PATH"))
	if err != nil {
		return nil, &StartError{Name: c.name, Err: err}
	}
	c.path = path
	if cfg.User != "" {
		id, err := resolveUser(cfg.User)
		if err != nil {
			return nil, err
		}
		c.id = id
		c.env = setEnv(c.env, "HOME", id.home)
	}
	if c.dir != "" {
		if fi, err := os.Stat(c.dir); err != nil {
			return nil, Usagef("--workdir: %q: %v", c.dir, errors.Unwrap(err))
		} else if !fi.IsDir() {
			return nil, Usagef("--workdir: %q is not a directory", c.dir)
		}
	}
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err == nil {
		c.foreground = true
	}
	if _, ok := os.LookupEnv("LISTEN_FDS"); ok {
		if exe, err := os.Executable(); err == nil {
			c.listenExec = exe
		}
	}
	return c, nil
}

// stdio returns the descriptors 0, 1 and 2 as the child inherits them; a
// descriptor tend's parent left closed stays closed in the child (-1)
// rather than failing the start.
func stdio() []uintptr {
	files := make([]uintptr, 3)
	for fd := range files {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			files[fd] = ^uintptr(0)
		} else {
			files[fd] = uintptr(fd)
		}
	}
	return files
}

// start forks and execs the command in its own process group, in the
// terminal's foreground when stdin is a terminal. It must run on the event
// loop's thread, whose signal mask is empty: the child inherits the mask of
// the forking thread (golang/go#21078).
//
// When handing over the terminal fails (stdin is a terminal but not tend's
// controlling one, or tend may not change it), the child is started again
// without it and ttyErr reports why.
func (c *command) start() (pid int, ttyErr error, err error) {
	path, argv := c.path, c.argv
	if c.listenExec != "" {
		path = c.listenExec
		argv = append([]string{c.listenExec, listenExecArg, c.path}, c.argv...)
	}
	attr := &syscall.ProcAttr{
		Dir:   c.dir,
		Env:   c.env,
		Files: stdio(),
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	}
	if c.id != nil {
		attr.Sys.Credential = c.id.cred
	}
	if c.foreground {
		attr.Sys.Foreground = true
		attr.Sys.Ctty = 0
		pid, err = forkExec(path, argv, attr)
		if err == nil || !ttyErrno(err) {
			return pid, nil, c.wrap(err)
		}
		ttyErr = err
		attr.Sys.Foreground = false
	}
	pid, err = forkExec(path, argv, attr)
	return pid, ttyErr, c.wrap(err)
}

// forkExec is syscall.ForkExec from a thread whose signal mask is empty.
// The child starts with the signal mask of the thread that forks it, and a
// Go thread keeps whatever tend's parent left blocked, except the signals
// the runtime needs (golang/go#21078): the child of such a thread would
// never see, say, SIGUSR1. Clearing the mask of the locked thread fixes
// that for every child; the thread goes back to the scheduler with its
// mask empty, which is harmless: os/signal handles whatever arrives there.
func forkExec(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var none unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &none, nil); err != nil {
		return 0, fmt.Errorf("clear signal mask: %w", err)
	}
	return syscall.ForkExec(path, argv, attr)
}

func (c *command) wrap(err error) error {
	if err == nil {
		return nil
	}
	return &StartError{Name: c.name, Err: err}
}

// ttyErrno reports whether err is what TIOCSPGRP returns when the terminal
// cannot be handed over (tini#17, sdc-docker#91).
func ttyErrno(err error) bool {
	return errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.ENXIO) ||
		errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EIO)
}

// setEnv returns env with key set to value, replacing every earlier entry.
func setEnv(env []string, key, value string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

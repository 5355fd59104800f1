package supervise

import (
	"errors"
	"os"
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

// start forks and execs the command in its own process group, in the
// terminal's foreground when stdin is a terminal. When handing over the
// terminal fails (stdin is a terminal but not tend's controlling one, or
// tend may not change it: tini#17, sdc-docker#91), the child is started
// again without it and ttyErr reports why.
func (c *command) start() (pid int, ttyErr error, err error) {
	spec := &forkSpec{path: c.path, argv: c.argv, env: c.env, dir: c.dir, setpgid: true, stdio: -1}
	if c.listenExec != "" {
		spec.path = c.listenExec
		spec.argv = append([]string{c.listenExec, listenExecArg, c.path}, c.argv...)
	}
	if c.id != nil {
		spec.cred = c.id.cred
	}
	if c.foreground {
		spec.foreground = true
		pid, err = forkExec(spec)
		var ce *childError
		if err == nil {
			return pid, nil, nil
		}
		if !errors.As(err, &ce) || ce.step != stepTerminal {
			return 0, nil, c.wrap(err)
		}
		ttyErr = ce.errno
		spec.foreground = false
	}
	if pid, err = forkExec(spec); err != nil {
		return 0, ttyErr, c.wrap(err)
	}
	return pid, ttyErr, nil
}

func (c *command) wrap(err error) error {
	if err == nil {
		return nil
	}
	return &StartError{Name: c.name, Err: err}
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

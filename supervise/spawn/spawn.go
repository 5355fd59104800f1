package spawn

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Command is the resolved main command, ready to fork.
type Command struct {
	name       string   // as the user gave it
	path       string   // what execve gets
	argv       []string // argv[0] as given
	env        []string
	dir        string
	id         *identity
	user       string // --user as given, for errors
	foreground bool   // stdin is a terminal: give it to the child's group
	handedTo   int    // the group tend gave the terminal to, until tend takes it back
	listenPid  bool   // LISTEN_FDS is set: LISTEN_PID must name the child
	// watchdogPid: WATCHDOG_PID must name the child (see SetWatchdogPid).
	watchdogPid bool
}

// Prepare resolves everything about argv that can fail before a child
// exists: the PATH search, user (--user, USER[:GROUP], "" keeps tend's),
// the working directory workdir ("" keeps tend's) and the environment. A
// bad --user or --workdir is an *OptionError; a command that cannot be
// found or run, a *StartError.
func Prepare(argv []string, workdir, user string) (*Command, error) {
	c := &Command{name: argv[0], argv: argv, dir: workdir, user: user, env: os.Environ()}
	// The directory first: relative PATH entries are searched in it.
	if c.dir != "" {
		if fi, err := os.Stat(c.dir); err != nil {
			return nil, optionf("--workdir: %q: %v", c.dir, errors.Unwrap(err))
		} else if !fi.IsDir() {
			return nil, optionf("--workdir: %q is not a directory", c.dir)
		}
	}
	path, err := lookPath(c.name, os.Getenv("PATH"), c.dir)
	if err != nil {
		return nil, &StartError{Name: c.name, Err: err}
	}
	c.path = path
	if user != "" {
		id, err := resolveUser(user)
		if err != nil {
			return nil, err
		}
		c.id = id
		c.env = setEnv(c.env, "HOME", id.home)
	}
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err == nil {
		c.foreground = true
	}
	_, c.listenPid = os.LookupEnv("LISTEN_FDS")
	return c, nil
}

// Start forks and execs the command in its own process group, in the
// terminal's foreground when stdin is a terminal and tend's own group has
// it (a tend in the background of a shell leaves it to the shell). When
// handing over the terminal fails (stdin is a terminal but not tend's
// controlling one, or tend may not change it: tini#17, sdc-docker#91), the
// child is started without it and ttyErr reports why.
func (c *Command) Start() (pid int, ttyErr error, err error) {
	spec := &forkSpec{path: c.path, argv: c.argv, env: c.env, dir: c.dir, setpgid: true, stdio: -1, listenPid: c.listenPid, watchdogPid: c.watchdogPid}
	if c.id != nil {
		spec.cred = c.id.cred
	}
	hand := false
	if c.foreground {
		hand, ttyErr = mayHandTerminal()
	}
	if hand {
		spec.foreground = true
		pid, err = forkExec(spec)
		var ce *childError
		if err == nil {
			c.handedTo = pid
			return pid, nil, nil
		}
		if !errors.As(err, &ce) || ce.step != stepTerminal {
			return 0, nil, c.wrap(err)
		}
		ttyErr = ce.errno
		spec.foreground = false
	}
	if ttyErr != nil {
		c.foreground = false // do not retry on every restart
	}
	if pid, err = forkExec(spec); err != nil {
		return 0, ttyErr, c.wrap(err)
	}
	return pid, ttyErr, nil
}

// wrap names the command and, for a failing step of the child that an
// option asked for, that option and its value.
func (c *Command) wrap(err error) error {
	if err == nil {
		return nil
	}
	var ce *childError
	if errors.As(err, &ce) {
		switch ce.step {
		case stepGroups, stepGid, stepUid:
			err = fmt.Errorf("--user %q: %w", c.user, err)
		case stepChdir:
			err = fmt.Errorf("--workdir: %w", err)
		case stepSignals, stepSetsid, stepSetpgid, stepTerminal, stepStdio, stepFileLimit, stepExec:
		}
	}
	return &StartError{Name: c.name, Err: err}
}

// SetEnv sets key to value in the environment of the command and of its
// --health-cmd probes, replacing any entry tend inherited (--notify's
// NOTIFY_SOCKET and WATCHDOG_USEC). Call it before the first Start.
func (c *Command) SetEnv(key, value string) { c.env = setEnv(c.env, key, value) }

// SetWatchdogPid makes every Start of the command add WATCHDOG_PID with
// the main child's own pid, written by the child before execve (as
// LISTEN_PID is), so that sd_watchdog_enabled(3) is false in whatever the
// child forks; the probes of StartHelper get neither WATCHDOG_PID nor
// WATCHDOG_USEC.
func (c *Command) SetWatchdogPid() {
	c.env = unsetEnv(c.env, "WATCHDOG_PID")
	c.watchdogPid = true
}

// UnsetEnv removes key from the environment of the command and of its
// probes. Call it before the first Start.
func (c *Command) UnsetEnv(key string) { c.env = unsetEnv(c.env, key) }

// Owner returns the user and group the command runs as with --user; ok is
// false when it runs as tend's own.
func (c *Command) Owner() (uid, gid int, ok bool) {
	if c.id == nil {
		return 0, 0, false
	}
	return int(c.id.cred.Uid), int(c.id.cred.Gid), true
}

// Name is the command as the user gave it.
func (c *Command) Name() string { return c.name }

// HandedTo is the process group the terminal was handed to by the last
// Start, 0 when it was not handed over (or has been taken back).
func (c *Command) HandedTo() int { return c.handedTo }

// StartHelper forks argv (a --health-cmd probe) as the command's user, in
// dir, with the command's environment, in a session of its own with stdio
// on /dev/null and no other descriptor: it cannot inherit a terminal,
// tend's own descriptors, or those tend's parent passed for the main child.
// The caller reaps it.
func (c *Command) StartHelper(argv []string, dir string) (int, error) {
	path, err := lookPath(argv[0], os.Getenv("PATH"), dir)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", argv[0], err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	env := c.env
	if c.watchdogPid {
		// The watchdog is the main child's: a probe is not to ping.
		env = unsetEnv(env, "WATCHDOG_USEC")
	}
	spec := &forkSpec{path: path, argv: argv, env: env, dir: dir, setsid: true, stdio: int(null.Fd()), closeExtra: true}
	if c.id != nil {
		spec.cred = c.id.cred
	}
	pid, err := forkExec(spec)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", argv[0], err)
	}
	return pid, nil
}

// setEnv returns env with key set to value, replacing every earlier entry.
func setEnv(env []string, key, value string) []string {
	return append(unsetEnv(env, key), key+"="+value)
}

// unsetEnv returns a copy of env without key.
func unsetEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

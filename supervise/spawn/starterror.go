package spawn

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Exit statuses of a failed start.
const (
	ExitUsage    = 125 // bad usage, or tend's own failure
	ExitNoExec   = 126 // COMMAND found but not executable
	ExitNotFound = 127 // COMMAND not found
)

// StartError reports that the main child could not be started.
type StartError struct {
	Name string // the command as given
	Err  error
}

func (e *StartError) Error() string { return fmt.Sprintf("%s: %v", e.Name, e.Err) }
func (e *StartError) Unwrap() error { return e.Err }

// ExitCode returns the status tend exits with: 127 when the command was not
// found, 126 when it was found but could not be executed, 125 when tend
// itself failed (fork, resources, or any step of the child before execve:
// setgroups, setuid, chdir…).
func (e *StartError) ExitCode() int {
	return startErrorCode(e.Err)
}

func startErrorCode(err error) int {
	// A step before execve fails with errnos (EPERM, EACCES, ENOENT) that
	// would read as the command's fault below; it is tend's (issue 12).
	var ce *childError
	if errors.As(err, &ce) && ce.step != stepExec {
		return ExitUsage
	}
	switch {
	case errors.Is(err, errNotFound), errors.Is(err, unix.ENOENT), errors.Is(err, errNoCommand):
		return ExitNotFound
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.ENOEXEC), errors.Is(err, unix.EISDIR),
		errors.Is(err, unix.EPERM), errors.Is(err, unix.ENOTDIR), errors.Is(err, unix.ELOOP),
		errors.Is(err, unix.ETXTBSY), errors.Is(err, unix.E2BIG), errors.Is(err, unix.ENAMETOOLONG),
		errors.Is(err, unix.ELIBBAD), errors.Is(err, errNotExecutable), errors.Is(err, errIsDir):
		return ExitNoExec
	}
	return ExitUsage
}

// OptionError is a bad value of an option that only the start can judge
// (--user, --workdir): tend exits with status 125 and starts nothing. The
// core turns it into its UsageError.
type OptionError struct{ Err error }

func (e *OptionError) Error() string { return e.Err.Error() }
func (e *OptionError) Unwrap() error { return e.Err }

func optionf(format string, args ...any) error {
	return &OptionError{Err: fmt.Errorf(format, args...)}
}

package termlog

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// Max is the most tend writes, newline included: the kubelet reads at most
// 4096 bytes of a container's termination message.
const Max = 4096

// ErrNotEmpty is returned by [Write] when the file already holds
// something: the application's own message, which wins.
var ErrNotEmpty = errors.New("not empty")

// Write writes msg, made one line and cut to [Max] bytes, to the file at
// path, but only if the file is empty. With create, a missing file is
// created (mode 0644), which is what an explicit --termination-log asks;
// without it a missing file means there is nothing to do, and Write returns
// nil (the default, /dev/termination-log, exists only in a Kubernetes
// container). The file is opened without O_TRUNC and written at offset 0,
// and a file that is not empty is left alone ([ErrNotEmpty]); O_NONBLOCK
// keeps a FIFO with no reader from blocking tend's exit (it fails with
// ENXIO instead), and only a regular file is written.
func Write(path string, create bool, msg string) error {
	flags := unix.O_WRONLY | unix.O_CLOEXEC | unix.O_NONBLOCK | unix.O_NOCTTY
	if create {
		flags |= unix.O_CREAT
	}
	fd, err := unix.Open(path, flags, 0o644)
	if errors.Is(err, unix.ENOENT) && !create {
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s: not a regular file", path)
	case fi.Size() != 0:
		return fmt.Errorf("%s: %w", path, ErrNotEmpty)
	}
	// WriteAt: the offset is 0 whatever the descriptor's, and a short
	// write is an error.
	_, err = f.WriteAt([]byte(Line(msg)), 0)
	return err
}

// ellipsis ends a summary that was cut.
const ellipsis = "..."

// Line is msg as Write writes it: control characters (a newline in a
// probe's error, say) turned into spaces, cut at a character boundary so
// that the whole, with its final newline, fits in [Max] bytes; a cut
// summary ends with "...".
func Line(msg string) string {
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, msg)
	if len(msg)+1 > Max {
		cut := Max - 1 - len(ellipsis)
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + ellipsis
	}
	return msg + "\n"
}

package reaper

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SetSubreaper makes the calling process a child subreaper
// (PR_SET_CHILD_SUBREAPER): orphaned descendants are reparented to it
// instead of to the namespace's init, so it can reap them and stop them at
// shutdown. It fails with EPERM in some sandboxes (AWS Lambda, tini#218);
// callers treat that as a warning.
func SetSubreaper() error {
	return os.NewSyscallError("prctl PR_SET_CHILD_SUBREAPER", unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
}

// IsSubreaper reports whether the calling process is a child subreaper.
func IsSubreaper() (bool, error) {
	var v int32
	err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&v)), 0, 0, 0)
	if err != nil {
		return false, os.NewSyscallError("prctl PR_GET_CHILD_SUBREAPER", err)
	}
	return v != 0, nil
}

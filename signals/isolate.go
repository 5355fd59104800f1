package signals

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// selfExe is what Isolate executes: tend itself, wherever its file is. A
// variable for the tests.
var selfExe = "/proc/self/exe"

// reexecEnv marks the image Isolate executed, so that it never executes
// itself twice; Isolate removes it from the environment at once.
const reexecEnv = "TEND_REEXECED"

// Isolate makes every thread of tend block the queued signals (see
// [Queued]), so that the kernel keeps them queued until tend reads them
// from a signalfd. A Go program cannot block a signal on all its threads
// from main: each thread the runtime starts takes the signal mask the
// process was executed with. So Isolate blocks them on this thread and
// executes tend again, with the same arguments and environment, and the
// new image starts with them blocked everywhere. Call it first in main:
// signals sent before it returns are handled as os/signal would.
//
// It reports whether the queued signals are blocked. When tend cannot
// execute itself (no /proc), or the new image did not inherit the mask (an
// emulator), it returns false and [Notify] takes every signal through
// os/signal.
func Isolate(args []string) bool {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_, again := os.LookupEnv(reexecEnv)
	if again {
		_ = os.Unsetenv(reexecEnv) // the child must not see it
	}
	set := queuedSet()
	var cur unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, nil, &cur); err != nil {
		return false
	}
	if covers(cur, set) {
		// This is the new image, or tend's parent blocked them all.
		renameSelf(args)
		return true
	}
	if again {
		// The mask did not survive execve: under an emulator such as
		// qemu-user (docker run --platform), which starts each program
		// with its own. Once is enough.
		return false
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
		return false
	}
	_ = syscall.Exec(selfExe, args, append(os.Environ(), reexecEnv+"=1"))
	_ = unix.PthreadSigmask(unix.SIG_SETMASK, &cur, nil)
	return false
}

// renameSelf gives tend back the name ps shows. Executing /proc/self/exe
// names the process "exe"; before, the kernel had named it after the file
// tend was started as, which is argv[0]'s last element in every way tend
// is started (ENTRYPOINT, docker run --init, a shell). Every thread is
// renamed: threads take the name of the one that starts them.
func renameSelf(args []string) {
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil || string(comm) != "exe\n" || len(args) == 0 {
		return
	}
	name := filepath.Base(args[0])
	if name == "exe" || name == "." || name == "/" {
		return
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return
	}
	for _, task := range tasks {
		_ = os.WriteFile("/proc/self/task/"+task.Name()+"/comm", []byte(name), 0)
	}
}

//go:build linux && !amd64

package spawn

// vforkFlags is 0 where tend has no assembly for a shared-memory clone
// (see clone_vfork.go): forkAndExec makes a plain fork.
const vforkFlags = 0

// rawVfork is never called where vforkFlags is 0.
func rawVfork(uintptr) (uintptr, uintptr) { panic("spawn: no vfork on this architecture") }

package signals

// ownHandler reports whether this architecture has tend's own signal
// handler (handler_amd64.s); elsewhere every signal goes through os/signal.
const ownHandler = true

// handlerAddrs returns the entry addresses of the assembly handler and
// restorer (handler_amd64.s).
func handlerAddrs() (h, r uintptr)

// kernelSigaction is struct sigaction as rt_sigaction(2) takes it on amd64.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// ownAction is the action that installs the handler, with the flags the Go
// runtime gives its own and every signal blocked while it runs.
func ownAction() kernelSigaction {
	h, r := handlerAddrs()
	return kernelSigaction{handler: h, flags: saSiginfo | saOnstack | saRestart | saRestorer, restorer: r, mask: ^uint64(0)}
}

//go:build !amd64

package signals

// ownHandler reports whether this architecture has tend's own signal
// handler (handler_amd64.s); here every signal goes through os/signal.
const ownHandler = false

// kernelSigaction stands in for struct sigaction; never used here.
type kernelSigaction struct{ handler uintptr }

func ownAction() kernelSigaction { return kernelSigaction{} }

package oneproc

import (
	"runtime"
	"testing"
)

// TestOneP: importing the package leaves the program on one P.
func TestOneP(t *testing.T) {
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Fatalf("GOMAXPROCS = %d after the package's init; want 1", got)
	}
}

//go:build linux

// Package integration tests tend's contract from the outside: its command
// line, its exit statuses and its behaviour as a real PID 1.
//
// The tests build tend once (or use the binary named by TEND_TEST_BIN) and
// run it two ways:
//
//   - as PID 1 of a new PID and mount namespace: the test binary re-executes
//     itself with CLONE_NEWPID|CLONE_NEWNS in the role "pid1", makes its
//     mounts private, mounts a fresh /proc and execs tend, so tend is the
//     namespace's real init (like runc's init dispatch);
//   - as an ordinary child of the test, where tend is a child subreaper.
//
// The workloads tend supervises are the test binary itself in the role
// "helper" (see helpers_test.go), or /bin/sh and coreutils where a C program
// matters (a Go program resets inherited signal dispositions at start-up, so
// it cannot report them).
//
// Namespaces need root (or CAP_SYS_ADMIN). Without them the namespace tests
// skip, unless TEND_TEST_REQUIRE_NS=1, which CI sets: there they fail.
//
// Nothing in this package is imported; files with the build tags e2e and
// stress reuse the harness in main_test.go and the helpers in
// helpers_test.go.
package integration

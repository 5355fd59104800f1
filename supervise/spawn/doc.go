// Package spawn owns starting processes: the main command resolved before
// it runs (PATH search, --user, --workdir, the environment; [Prepare]), the
// fork and exec with raw system calls (fork.go), so that each child clears
// its own signal mask, the terminal hand-over and take-back, the
// RLIMIT_NOFILE children get back ([SaveFileLimit]), the spare threads a
// full pids cgroup cannot take away ([ReserveThreads]), and the errors of a
// failed start with their exit codes ([StartError]: 126, 127, 125).
//
// It never waits for a process: the caller reaps every child it starts.
package spawn

// Package reaper collects the exit status of child processes.
//
// It is the only package in tend that calls wait4(2). Every exit, the main
// child's, a leftover descendant's or a health probe's, comes out of [Reap],
// and the caller dispatches it by pid; a child whose exec failed is
// collected at once with [Collect]. Nothing in tend calls
// exec.Cmd.Wait or os.Process.Wait: a second waiter races wait4(-1) and
// steals statuses (tailscale#11893, coder#22866).
//
// The package also makes tend a child subreaper, so that orphans of its
// descendants are reparented to it when it is not PID 1. It keeps no global
// state, never logs, and never blocks but in Collect.
package reaper

// Package oomwatch tells whether the kernel's OOM killer struck in tend's
// memory cgroup: it finds the cgroup's OOM-kill counter once ([Find]) and
// reads it ([Counter.Read]) when the child starts and after the child dies
// of SIGKILL. A counter that grew in between names the death an OOM kill.
//
// It reads files and nothing else: it never logs and keeps no state but the
// path it found. The counter is oom_kill in memory.events (cgroup v2) or in
// memory.oom_control (cgroup v1).
package oomwatch

package supervise

import "github.com/tend-init/tend/supervise/spawn"

// Exit statuses of tend itself, beyond the child's own.
const (
	ExitUnhealthy = 69                 // the health probe failed: EX_UNAVAILABLE
	ExitDeadline  = 124                // --deadline passed, as timeout(1)
	ExitUsage     = spawn.ExitUsage    // bad usage, or tend's own failure
	ExitNoExec    = spawn.ExitNoExec   // COMMAND found but not executable
	ExitNotFound  = spawn.ExitNotFound // COMMAND not found
)

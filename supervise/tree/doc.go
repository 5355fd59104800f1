// Package tree owns tend's view of its process tree: how it can see its
// descendants ([New], [Reach]), listing them under /proc (children files,
// or a scan of parent pids), telling kernel threads and strangers apart,
// and signalling leftovers through pidfds so that a reused pid is never
// hit ([Reach.SignalDescendants]).
package tree

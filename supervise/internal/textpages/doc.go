// Package textpages gives back tend's page-table mappings of its own
// binary's read-only segments (code and read-only data) once start-up is
// over. The pages stay in the page cache, shared with every other process
// that maps the binary; only tend's mappings of them go, so VmRSS drops to
// what tend touches again, the kernel maps those back on the next access
// (a minor fault), and the rest is as easy for the kernel to reclaim as
// any unmapped file page under memory pressure (mapped code is kept on
// the active list). The writable segment is never touched: that would
// lose what the program wrote.
package textpages

// Package logmon stands in for Nomad's logmon: it creates a task's stdout
// and stderr FIFOs and copies what the driver writes into them to log
// files, with logmon's start/stop semantics (a blocking read-only open; a
// copy that ends at EOF but keeps the read end open; Start reopens only
// when a copy has ended).
package logmon

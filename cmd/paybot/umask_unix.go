//go:build unix

package main

import "syscall"

// Files and directories paybot creates (database, index, log) are
// owner-only whatever the shell's umask: the data directory may hold
// incident details. secureDataDir fixes what existed before.
func init() { syscall.Umask(0o077) }

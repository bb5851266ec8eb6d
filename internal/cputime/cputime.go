// Package cputime reads the CPU time the process has used, all threads
// together (user + system). On a shared machine it measures the work a
// benchmark did, where wall time also measures the other processes that
// held the cores; benchmarks report both.
package cputime

import "time"

// Process returns the CPU time this process has used so far, or 0 on a
// system where it cannot be read: callers then leave out the figures
// based on it.
func Process() time.Duration { return process() }

//go:build !linux

package kernels

import "testing"

// guardedInt32s returns s: only Linux builds put it before a guard page.
func guardedInt32s(t *testing.T, s []int32) []int32 { return s }

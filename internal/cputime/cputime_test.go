package cputime

import (
	"runtime"
	"testing"
	"time"
)

// TestProcessGrows checks that busy work shows up as CPU time and that
// the figure never goes back.
func TestProcessGrows(t *testing.T) {
	t0 := Process()
	if t0 == 0 {
		t.Skipf("CPU time is not available on %s", runtime.GOOS)
	}
	x := 1.0
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
		for i := 0; i < 1000; i++ {
			x = x*1.0000001 + 1e-9
		}
	}
	t1 := Process()
	if t1 <= t0 {
		t.Fatalf("CPU time went from %v to %v over 50 ms of busy work (x = %g)", t0, t1, x)
	}
	if t1-t0 < 10*time.Millisecond {
		t.Errorf("50 ms of busy work counted as %v of CPU time", t1-t0)
	}
}

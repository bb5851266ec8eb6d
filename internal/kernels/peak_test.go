package kernels

import (
	"testing"
	"time"
)

// TestPeakFMA checks that PeakFMA measures something where it can and
// reports where it cannot; its figures are not asserted (speed is
// measured, not tested).
func TestPeakFMA(t *testing.T) {
	loop, _ := peakLoop()
	g, ok := PeakFMA(1, 5*time.Millisecond)
	if want := loop != nil && !asmDisabled; ok != want {
		t.Fatalf("PeakFMA ok = %v, want %v", ok, want)
	}
	if ok && !(g > 0) {
		t.Fatalf("PeakFMA = %v GFLOP/s", g)
	}
	if _, ok := PeakFMA(0, time.Millisecond); ok {
		t.Fatal("PeakFMA on 0 threads")
	}
	t.Logf("%.1f GFLOP/s on one thread (ok %v)", g, ok)
}

package engine

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/resnetgo/resnet/models"
)

func TestTmpFC(t *testing.T) {
	m, _ := models.New("resnet50", models.Options{Seed: 1})
	p, _ := Compile(m, Options{MaxBatch: 1})
	ws, _ := p.workspace(1, 224, 224)
	x := randomInput(1, 3, 224, 224, 1)
	ctx := context.Background()
	p.forwardOn(ctx, ws, x, true)
	var ends, durs []time.Time
	_ = durs
	var starts []time.Time
	ws.trace = func(c, acc *conv, h, w int, pooled bool, d time.Duration) {
		now := time.Now()
		ends = append(ends, now)
		starts = append(starts, now.Add(-d))
	}
	var head, gaps, tail, total []time.Duration
	for range 40 {
		ends, starts = ends[:0], starts[:0]
		s := time.Now()
		p.forwardOn(ctx, ws, x, true)
		e := time.Now()
		head = append(head, starts[0].Sub(s))
		var g time.Duration
		for i := 1; i < len(starts); i++ {
			g += starts[i].Sub(ends[i-1])
		}
		gaps = append(gaps, g)
		tail = append(tail, e.Sub(ends[len(ends)-1]))
		total = append(total, e.Sub(s))
	}
	med := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	t.Logf("head %v gaps %v tail %v total %v", med(head), med(gaps), med(tail), med(total))
}

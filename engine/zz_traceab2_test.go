package engine

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
)

// TRACEAB=arch: passes alternating zzSet(false)/zzSet(true), per-layer medians.
func TestZZTraceAB(t *testing.T) {
	arch := os.Getenv("TRACEAB")
	if arch == "" {
		t.Skip()
	}
	batch := 1
	if b := os.Getenv("TRACEAB_BATCH"); b != "" {
		batch, _ = strconv.Atoi(b)
	}
	m, _ := models.New(arch, models.Options{Seed: 1})
	p, _ := Compile(m, Options{MaxBatch: batch})
	x := tensor.New(batch, 3, 224, 224)
	for i := range x.Data {
		x.Data[i] = float32(i%251)/125 - 1
	}
	ctx := context.Background()
	zzSet(false)
	ya, _ := p.Forward(ctx, x)
	zzSet(true)
	yb, _ := p.Forward(ctx, x)
	for i := range ya.Data {
		if ya.Data[i] != yb.Data[i] {
			t.Logf("note: logit %d differs: %v vs %v", i, ya.Data[i], yb.Data[i])
			break
		}
	}
	type rec struct {
		name   string
		da, db []float64
	}
	var recs []*rec
	idx := 0
	variant := false
	ws, _ := p.workspace(batch, 224, 224)
	ws.trace = func(c *conv, h, w int, acc bool, d time.Duration) {
		if idx >= len(recs) {
			k := fmt.Sprintf("%dx%d/%d %d→%d @%d", c.kh, c.kw, c.stride, c.inC, c.outC, h)
			if acc {
				k += " +down"
			}
			recs = append(recs, &rec{name: k})
		}
		if variant {
			recs[idx].db = append(recs[idx].db, d.Seconds()*1e3)
		} else {
			recs[idx].da = append(recs[idx].da, d.Seconds()*1e3)
		}
		idx++
	}
	p.release(ws)
	reps := 60
	if r := os.Getenv("TRACEAB_REPS"); r != "" {
		reps, _ = strconv.Atoi(r)
	}
	var ta, tb []float64
	for r := 0; r < reps; r++ {
		for _, v := range []bool{false, true} {
			variant = v
			zzSet(v)
			idx = 0
			s := time.Now()
			p.Forward(ctx, x)
			d := time.Since(s).Seconds() * 1e3
			if v {
				tb = append(tb, d)
			} else {
				ta = append(ta, d)
			}
		}
	}
	zzSet(false)
	ws, _ = p.workspace(batch, 224, 224)
	ws.trace = nil
	p.release(ws)
	med := func(v []float64) float64 { sort.Float64s(v); return v[len(v)/2] }
	kinds := map[string][2]float64{}
	var order []string
	for i, r := range recs {
		a, b := med(r.da), med(r.db)
		kind := r.name[:5]
		if _, ok := kinds[kind]; !ok {
			order = append(order, kind)
		}
		k := kinds[kind]
		kinds[kind] = [2]float64{k[0] + a, k[1] + b}
		mark := ""
		if b < a*0.97 {
			mark = " <"
		} else if b > a*1.03 {
			mark = " >"
		}
		if os.Getenv("TRACEAB_V") != "" || mark != "" {
			t.Logf("%3d %-28s A %.3f B %.3f %+5.1f%%%s", i, r.name, a, b, 100*(b-a)/a, mark)
		}
	}
	for _, k := range order {
		v := kinds[k]
		t.Logf("%-6s A %.2f B %.2f %+.1f%%", k, v[0], v[1], 100*(v[1]-v[0])/v[0])
	}
	t.Logf("pass A %.2f B %.2f (%+.1f%%)", med(ta), med(tb), 100*(med(tb)-med(ta))/med(ta))
}

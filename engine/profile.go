package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/resnetgo/resnet/tensor"
)

// A LayerTime is one convolution's time in the passes of Plan.Profile.
type LayerTime struct {
	// Name is the convolution's module in PyTorch's model (conv1,
	// layer2.0.conv2, layer2.0.downsample.0). A bottleneck's projection
	// shortcut is computed with its third convolution, in the same tiles,
	// and the two are timed together: layer2.0.conv3+downsample.0.
	Name string
	// Kind is how the engine computes it: the kernel size and stride (1x1/1,
	// 3x3/2, 7x7/2), and "grouped", "winograd" (F(2×2, 3×3)) or "winograd4"
	// (F(4×4, 3×3)); "+maxpool" when the max pool after it (ResNet's stem)
	// is computed in its tiles and timed with it.
	Kind string
	// InC, OutC and Groups are its channels and groups, H×W its input.
	InC, OutC, Groups, H, W int
	// Time is its median time a pass, per image.
	Time time.Duration
}

// A Profile is where the time of Plan.Profile's passes went.
type Profile struct {
	Layers []LayerTime   // the convolutions, in the order a pass runs them
	Pass   time.Duration // the median time of a whole pass (Forward), per image
}

// Profile runs passes forward passes of x (after one untimed) and times
// each convolution inside them: what a pass spends where, with the
// caches the pass leaves each layer (unlike timing a layer on its own).
// The pools and fc are the pass's time that no layer accounts for.
// Profile holds a workspace of its own for the passes; Forward calls on
// other goroutines meanwhile run as usual and are not counted.
func (p *Plan) Profile(ctx context.Context, x *tensor.Tensor, passes int) (*Profile, error) {
	if passes < 1 {
		return nil, fmt.Errorf("engine: %s: profile of %d passes", p.name, passes)
	}
	if err := p.checkInput(x); err != nil {
		return nil, err
	}
	n := x.Shape[0]
	ws, err := p.workspace(min(n, p.maxBatch), x.Shape[2], x.Shape[3])
	if err != nil {
		return nil, err
	}
	defer p.release(ws)
	if _, _, err := p.forwardOn(ctx, ws, x, true); err != nil {
		return nil, err
	}
	type layer struct {
		LayerTime
		pass time.Duration   // this pass's time so far (a batch past MaxBatch runs in chunks)
		all  []time.Duration // one a pass
	}
	var layers []*layer
	index := map[[2]*conv]*layer{}
	ws.trace = func(c, acc *conv, h, w int, pooled bool, d time.Duration) {
		l := index[[2]*conv{c, acc}]
		if l == nil {
			oh, ow := c.outSize(h, w)
			name := c.name
			if acc != nil {
				// layer2.0.conv3+downsample.0: the block's prefix once
				prefix := c.name[:strings.LastIndex(c.name, ".")+1]
				name += "+" + strings.TrimPrefix(acc.name, prefix)
			}
			kind := layerKind(c, ws.key.n, oh, ow)
			if pooled {
				kind += " +maxpool"
			}
			l = &layer{LayerTime: LayerTime{Name: name, Kind: kind,
				InC: c.inC, OutC: c.outC, Groups: c.groups, H: h, W: w}}
			index[[2]*conv{c, acc}] = l
			layers = append(layers, l)
		}
		l.pass += d
	}
	defer func() { ws.trace = nil }()
	all := make([]time.Duration, 0, passes)
	for range passes {
		for _, l := range layers {
			l.pass = 0
		}
		start := time.Now()
		if _, _, err := p.forwardOn(ctx, ws, x, true); err != nil {
			return nil, err
		}
		all = append(all, time.Since(start))
		for _, l := range layers {
			l.all = append(l.all, l.pass)
		}
	}
	perImage := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[len(d)/2] / time.Duration(n)
	}
	pr := &Profile{Pass: perImage(all)}
	for _, l := range layers {
		l.Time = perImage(l.all)
		pr.Layers = append(pr.Layers, l.LayerTime)
	}
	return pr, nil
}

// layerKind names how c computes an oh×ow output at batch n: its kernel
// size and stride, and grouped, winograd (F(2×2)) or winograd4 (F(4×4)).
func layerKind(c *conv, n, oh, ow int) string {
	kind := fmt.Sprintf("%dx%d/%d", c.kh, c.kw, c.stride)
	switch {
	case c.groups > 1:
		kind += " grouped"
	case c.winoChoice(n, oh, ow) == wino4:
		kind += " winograd4"
	case c.winoChoice(n, oh, ow) == wino2:
		kind += " winograd"
	}
	return kind
}

package models

// Stats returns the parameter count and the multiply-accumulates of one
// forward pass on an h×w input without allocating the network (building
// resnext101_32x48d_wsl takes 3.3 GB). It follows Build's structure; a
// test checks both agree for every configuration.
func (c Config) Stats(h, w int) (params, macs int64) {
	conv := func(in, out, k, stride, pad, groups, h, w int) (int, int) {
		oh, ow := (h+2*pad-k)/stride+1, (w+2*pad-k)/stride+1
		p := int64(out) * int64(in/groups*k*k)
		params += p
		macs += p * int64(oh*ow)
		return oh, ow
	}
	bn := func(ch int) { params += 2 * int64(ch) }
	in := c.Planes[0]
	if c.Stem == ImageNetStem {
		h, w = conv(c.InChannels, in, 7, 2, 3, 1, h, w)
		h, w = (h+2-3)/2+1, (w+2-3)/2+1
	} else {
		h, w = conv(c.InChannels, in, 3, 1, 1, 1, h, w)
	}
	bn(in)
	for s, planes := range c.Planes {
		for i := 0; i < c.Layers[s]; i++ {
			stride := 1
			if s > 0 && i == 0 {
				stride = 2
			}
			out := planes * c.expansion()
			if c.Shortcut == ShortcutB && (stride != 1 || in != out) {
				conv(in, out, 1, stride, 0, 1, h, w)
				bn(out)
			}
			if c.Block == Basic {
				bh, bw := conv(in, planes, 3, stride, 1, 1, h, w)
				h, w = conv(planes, planes, 3, 1, 1, 1, bh, bw)
				bn(planes)
				bn(planes)
			} else {
				width := planes * c.WidthPerGroup / 64 * c.Groups
				bh, bw := conv(in, width, 1, 1, 0, 1, h, w)
				bh, bw = conv(width, width, 3, stride, 1, c.Groups, bh, bw)
				h, w = conv(width, out, 1, 1, 0, 1, bh, bw)
				bn(width)
				bn(width)
				bn(out)
			}
			in = out
		}
	}
	fc := int64(in) * int64(c.NumClasses)
	return params + fc + int64(c.NumClasses), macs + fc
}

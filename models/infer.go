package models

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var blockKey = regexp.MustCompile(`^layer(\d+)\.(\d+)\.`)

// Infer works out the architecture of a state dict from its key names and
// shapes alone: stem, block type, blocks per stage, groups, width, shortcut
// and number of classes. It returns every known configuration the state
// dict fits (CIFAR shortcut A and plain networks have identical state
// dicts, and resnext101_32x8d shares its shapes with its WSL twin), with
// NumClasses and InChannels set from the state dict.
func Infer(shapes map[string][]int) ([]Config, error) {
	get := func(k string, dims int) ([]int, error) {
		s, ok := shapes[k]
		if !ok {
			return nil, fmt.Errorf("models: state dict has no %q", k)
		}
		if len(s) != dims {
			return nil, fmt.Errorf("models: %q has shape %v, want %d dimensions", k, s, dims)
		}
		return s, nil
	}
	conv1, err := get("conv1.weight", 4)
	if err != nil {
		return nil, err
	}
	fc, err := get("fc.weight", 2)
	if err != nil {
		return nil, err
	}
	var layers []int
	bottleneck, downsample := false, false
	for k := range shapes {
		m := blockKey.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		s, _ := strconv.Atoi(m[1])
		i, _ := strconv.Atoi(m[2])
		if s < 1 || s > 16 || i > 1000 {
			return nil, fmt.Errorf("models: unexpected key %q", k)
		}
		for len(layers) < s {
			layers = append(layers, 0)
		}
		layers[s-1] = max(layers[s-1], i+1)
		rest := k[len(m[0]):]
		bottleneck = bottleneck || strings.HasPrefix(rest, "conv3.")
		downsample = downsample || strings.HasPrefix(rest, "downsample.")
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("models: state dict has no layerN.i blocks")
	}
	groups, wpg := 1, 64
	if bottleneck {
		w2, err := get("layer1.0.conv2.weight", 4)
		if err != nil {
			return nil, err
		}
		if w2[1] == 0 || w2[0]%w2[1] != 0 {
			return nil, fmt.Errorf("models: layer1.0.conv2.weight has shape %v", w2)
		}
		groups = w2[0] / w2[1]
		wpg = w2[1] * 64 / conv1[0]
	}
	var out []Config
	for _, c := range table() {
		if c.Block == Bottleneck != bottleneck || !equalInts(c.Layers, layers) || c.Planes[0] != conv1[0] ||
			c.Groups != groups || c.WidthPerGroup != wpg || (c.Stem == ImageNetStem) != (conv1[2] == 7) ||
			(c.Shortcut == ShortcutB) != downsample {
			continue
		}
		c.NumClasses = fc[0]
		c.InChannels = conv1[1]
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("models: no known architecture has %s blocks %v, groups %d, width per group %d",
			map[bool]string{true: "Bottleneck", false: "BasicBlock"}[bottleneck], layers, groups, wpg)
	}
	return out, nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

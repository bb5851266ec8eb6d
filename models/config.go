// Package models builds every network of the ResNet family — torchvision's
// ResNet, ResNeXt and Wide ResNet, the ResNeXt WSL models and the
// CIFAR-style ResNets of He et al. with their plain (shortcut-free)
// twins — from one table of configurations, with parameter names that
// match PyTorch's state_dict keys.
package models

import (
	"fmt"
	"sort"
	"strings"
)

// BlockKind is the residual unit a network is built from.
type BlockKind int

const (
	// Basic is two 3×3 convolutions (expansion 1).
	Basic BlockKind = iota
	// Bottleneck is 1×1, 3×3 (stride, groups), 1×1 (expansion 4), the
	// "ResNet v1.5" unit of torchvision.
	Bottleneck
)

func (b BlockKind) String() string {
	if b == Bottleneck {
		return "Bottleneck"
	}
	return "BasicBlock"
}

// Shortcut is how a block's input joins its output.
type Shortcut int

const (
	// ShortcutB is identity, or a 1×1 convolution + batch norm
	// ("downsample") when the shape changes: torchvision's choice.
	ShortcutB Shortcut = iota
	// ShortcutA is identity, or on a shape change a stride-2 subsample
	// zero-padded in channels: no parameters (He et al. 2015, CIFAR).
	ShortcutA
	// NoShortcut makes a plain network: the block's output is not added
	// to its input.
	NoShortcut
)

func (s Shortcut) String() string {
	switch s {
	case ShortcutA:
		return "A"
	case NoShortcut:
		return "none"
	}
	return "B"
}

// Stem is the network's first stage.
type Stem int

const (
	// ImageNetStem is conv 7×7/2 (64 channels), BN, ReLU, max pool 3×3/2.
	ImageNetStem Stem = iota
	// CIFARStem is conv 3×3/1 (16 channels), BN, ReLU.
	CIFARStem
)

// Config describes one architecture. The builder derives everything else.
type Config struct {
	Name          string
	Block         BlockKind
	Layers        []int // blocks per stage
	Planes        []int // channels per stage before expansion
	Groups        int   // cardinality of the 3×3 convolutions
	WidthPerGroup int   // torchvision's width_per_group (base 64)
	Stem          Stem
	Shortcut      Shortcut
	NumClasses    int
	InChannels    int
	InputSize     int // the side length it was designed for (224 or 32)
	Family        string
}

var imageNetPlanes = []int{64, 128, 256, 512}
var cifarPlanes = []int{16, 32, 64}

func imagenet(name string, block BlockKind, layers []int, groups, width int, family string) Config {
	return Config{Name: name, Block: block, Layers: layers, Planes: imageNetPlanes, Groups: groups,
		WidthPerGroup: width, Stem: ImageNetStem, NumClasses: 1000, InChannels: 3, InputSize: 224, Family: family}
}

func cifar(name string, n int, sc Shortcut) Config {
	return Config{Name: name, Block: Basic, Layers: []int{n, n, n}, Planes: cifarPlanes, Groups: 1,
		WidthPerGroup: 64, Stem: CIFARStem, Shortcut: sc, NumClasses: 10, InChannels: 3, InputSize: 32, Family: "cifar"}
}

// table lists every architecture, in the order `resnet models` prints them.
func table() []Config {
	c := []Config{
		imagenet("resnet18", Basic, []int{2, 2, 2, 2}, 1, 64, "resnet"),
		imagenet("resnet34", Basic, []int{3, 4, 6, 3}, 1, 64, "resnet"),
		imagenet("resnet50", Bottleneck, []int{3, 4, 6, 3}, 1, 64, "resnet"),
		imagenet("resnet101", Bottleneck, []int{3, 4, 23, 3}, 1, 64, "resnet"),
		imagenet("resnet152", Bottleneck, []int{3, 8, 36, 3}, 1, 64, "resnet"),
		imagenet("resnext50_32x4d", Bottleneck, []int{3, 4, 6, 3}, 32, 4, "resnext"),
		imagenet("resnext101_32x8d", Bottleneck, []int{3, 4, 23, 3}, 32, 8, "resnext"),
		imagenet("resnext101_64x4d", Bottleneck, []int{3, 4, 23, 3}, 64, 4, "resnext"),
		imagenet("wide_resnet50_2", Bottleneck, []int{3, 4, 6, 3}, 1, 128, "wide_resnet"),
		imagenet("wide_resnet101_2", Bottleneck, []int{3, 4, 23, 3}, 1, 128, "wide_resnet"),
		imagenet("resnext101_32x8d_wsl", Bottleneck, []int{3, 4, 23, 3}, 32, 8, "wsl"),
		imagenet("resnext101_32x16d_wsl", Bottleneck, []int{3, 4, 23, 3}, 32, 16, "wsl"),
		imagenet("resnext101_32x32d_wsl", Bottleneck, []int{3, 4, 23, 3}, 32, 32, "wsl"),
		imagenet("resnext101_32x48d_wsl", Bottleneck, []int{3, 4, 23, 3}, 32, 48, "wsl"),
	}
	for _, depth := range []int{20, 32, 44, 56, 110} {
		n := (depth - 2) / 6
		c = append(c,
			cifar(fmt.Sprintf("resnet%d", depth), n, ShortcutA),
			cifar(fmt.Sprintf("resnet%db", depth), n, ShortcutB),
			cifar(fmt.Sprintf("plain%d", depth), n, NoShortcut))
	}
	return c
}

// Configs returns every known architecture.
func Configs() []Config { return table() }

// Names returns every architecture name.
func Names() []string {
	var n []string
	for _, c := range table() {
		n = append(n, c.Name)
	}
	return n
}

// Lookup returns the configuration named name. CIFAR names: resnetD
// (shortcut A, the paper's CIFAR choice), resnetDb (shortcut B) and
// plainD, for D in 20, 32, 44, 56, 110.
func Lookup(name string) (Config, error) {
	for _, c := range table() {
		if c.Name == name {
			return c, nil
		}
	}
	names := Names()
	sort.Strings(names)
	return Config{}, fmt.Errorf("models: unknown architecture %q; known: %s", name, strings.Join(names, ", "))
}

// Depth returns the number of weighted layers (convolutions on the main
// path plus fc), the number in a network's name.
func (c Config) Depth() int {
	per := 2
	if c.Block == Bottleneck {
		per = 3
	}
	d := 2
	for _, n := range c.Layers {
		d += per * n
	}
	return d
}

// expansion is the ratio of a block's output channels to its planes.
func (c Config) expansion() int {
	if c.Block == Bottleneck {
		return 4
	}
	return 1
}

// FeatureDim returns the width of the pooled features fed to fc.
func (c Config) FeatureDim() int { return c.Planes[len(c.Planes)-1] * c.expansion() }

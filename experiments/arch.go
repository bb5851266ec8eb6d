package experiments

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/nn"
)

var cifarName = regexp.MustCompile(`^(resnet|plain)(\d+)(b?)$`)

// Arch returns the CIFAR-style network called name: resnetD (shortcut
// option A, the paper's CIFAR choice), resnetDb (option B) or plainD (no
// shortcuts), for any depth D = 6n+2 — the table's 20, 32, 44, 56, 110,
// and others such as 8 or 14 for small tests.
func Arch(name string) (models.Config, error) {
	if c, err := models.Lookup(name); err == nil {
		if c.Family != "cifar" {
			return models.Config{}, fmt.Errorf("experiments: %s is not a CIFAR-style network (use resnetD, resnetDb or plainD)", name)
		}
		return c, nil
	}
	m := cifarName.FindStringSubmatch(name)
	if m == nil || (m[1] == "plain" && m[3] != "") {
		return models.Config{}, fmt.Errorf("experiments: unknown network %q (want resnetD, resnetDb or plainD with depth D = 6n+2)", name)
	}
	d, err := strconv.Atoi(m[2])
	if err != nil || d < 8 || (d-2)%6 != 0 || d > 1202 {
		return models.Config{}, fmt.Errorf("experiments: %s: depth %s is not 6n+2 for n in 1..200", name, m[2])
	}
	base := "resnet20" + m[3]
	if m[1] == "plain" {
		base = "plain20"
	}
	c, err := models.Lookup(base)
	if err != nil {
		return models.Config{}, err
	}
	n := (d - 2) / 6
	c.Name, c.Layers = name, []int{n, n, n}
	return c, nil
}

// newNet builds a freshly initialised network for d.
func newNet(name string, d *Data, seed uint64) (*models.ResNet, error) {
	c, err := Arch(name)
	if err != nil {
		return nil, err
	}
	return models.Build(c, models.Options{NumClasses: d.Classes, InChannels: d.Channels, Seed: seed})
}

// netOrder sorts network names plain before residual, then by depth.
func netOrder(names []string) []string {
	out := slices.Clone(names)
	key := func(n string) (int, int) {
		c, err := Arch(n)
		if err != nil {
			return 9, 0
		}
		return int(shortcutRank(c.Shortcut)), c.Depth()
	}
	slices.SortStableFunc(out, func(a, b string) int {
		ka, da := key(a)
		kb, db := key(b)
		if ka != kb {
			return ka - kb
		}
		if da != db {
			return da - db
		}
		return strings.Compare(a, b)
	})
	return out
}

func shortcutRank(s models.Shortcut) int {
	switch s {
	case models.NoShortcut:
		return 0
	case models.ShortcutA:
		return 1
	}
	return 2
}

// isPlain reports whether the named network has no shortcuts.
func isPlain(name string) bool {
	c, err := Arch(name)
	return err == nil && c.Shortcut == models.NoShortcut
}

// depthOf is the named network's depth (0 if unknown).
func depthOf(name string) int {
	c, err := Arch(name)
	if err != nil {
		return 0
	}
	return c.Depth()
}

// trainable returns the parameters that require a gradient.
func trainable(m *models.ResNet) []*nn.Parameter {
	var ps []*nn.Parameter
	for _, p := range nn.Parameters(m) {
		if p.RequiresGrad {
			ps = append(ps, p)
		}
	}
	return ps
}

// displayName turns resnet56 into ResNet-56 and plain20 into plain-20.
func displayName(name string) string {
	m := cifarName.FindStringSubmatch(name)
	if m == nil {
		return name
	}
	if m[1] == "plain" {
		return "plain-" + m[2]
	}
	s := "ResNet-" + m[2]
	if m[3] != "" {
		s += " (B)"
	}
	return s
}

// dedupe drops repeated names, keeping the first of each.
func dedupe(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

package models

import (
	"context"
	"fmt"
	"strings"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/nn"
)

// StateDict returns m's parameters and buffers as a checkpoint state dict
// in torchvision's key order. Float data is shared with m, not copied.
func StateDict(m nn.Stateful) *checkpoint.StateDict {
	sd := checkpoint.NewStateDict()
	m.Visit("", func(e nn.Entry) {
		if e.Count != nil {
			sd.Add(e.Name, checkpoint.Int64Tensor([]int64{*e.Count}))
			return
		}
		t := checkpoint.FromTensor(e.Tensor())
		t.RequiresGrad = e.Param != nil && e.Param.RequiresGrad
		sd.Add(e.Name, t)
	})
	return sd
}

// LoadStateDict copies a checkpoint's tensors into m (see nn.Load for
// strict and non-strict behaviour). Float data is adopted, not copied.
func LoadStateDict(m nn.Stateful, sd *checkpoint.StateDict, strict bool) (*nn.LoadReport, error) {
	values := make(map[string]nn.Value, len(sd.Keys))
	for _, k := range sd.Keys {
		t := sd.Tensors[k]
		values[k] = nn.Value{Shape: t.Shape, F32: t.F32, I64: t.I64}
	}
	return nn.Load(m, values, strict)
}

// Shapes returns each tensor's shape by key.
func Shapes(sd *checkpoint.StateDict) map[string][]int {
	s := make(map[string][]int, len(sd.Keys))
	for _, k := range sd.Keys {
		s[k] = sd.Tensors[k].Shape
	}
	return s
}

// FromStateDict builds the architecture arch (or, if arch is "", the one
// Infer finds) and loads sd into it strictly. A NumClasses of 0 in o takes
// the class count from fc.weight, so fine-tuned checkpoints load as they are.
func FromStateDict(arch string, sd *checkpoint.StateDict, o Options) (*ResNet, error) {
	var c Config
	if arch == "" {
		cs, err := Infer(Shapes(sd))
		if err != nil {
			return nil, err
		}
		if len(cs) > 1 && cs[0].Family == "cifar" {
			var names []string
			for _, c := range cs {
				names = append(names, c.Name)
			}
			return nil, fmt.Errorf("models: the weights fit %s (they differ only in parameter-free shortcuts): name the architecture", strings.Join(names, " and "))
		}
		c = cs[0]
	} else {
		var err error
		if c, err = Lookup(arch); err != nil {
			return nil, err
		}
		if fc, ok := sd.Tensors["fc.weight"]; ok && len(fc.Shape) == 2 && o.NumClasses == 0 {
			c.NumClasses = fc.Shape[0]
		}
		if w, ok := sd.Tensors["conv1.weight"]; ok && len(w.Shape) == 4 && o.InChannels == 0 {
			c.InChannels = w.Shape[1]
		}
	}
	o.NoInit = true
	m, err := Build(c, o)
	if err != nil {
		return nil, err
	}
	if _, err := LoadStateDict(m, sd, true); err != nil {
		return nil, fmt.Errorf("models: loading %s: %w", c.Name, err)
	}
	return m, nil
}

// LoadFile reads a checkpoint (.pth in the zip or legacy format, or
// .safetensors) and returns the network with its weights; see FromStateDict.
func LoadFile(ctx context.Context, arch, path string, o Options) (*ResNet, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sd, err := checkpoint.Load(path)
	if err != nil {
		return nil, err
	}
	m, err := FromStateDict(arch, sd, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

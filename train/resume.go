package train

import (
	"encoding/json"
	"fmt"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/tensor"
)

// Checkpoint is everything needed to resume training: the network's
// weights, the optimiser's buffers and settings, the schedule's position,
// where in which epoch training stopped, the metrics so far, and the
// class names. It is saved as a torch.save zip file that PyTorch can read
// with torch.load(weights_only=True): {"model": state_dict, "optimizer":
// {"INDEX.NAME": tensor}, "meta": JSON string}.
type Checkpoint struct {
	Model *checkpoint.StateDict `json:"-"`
	Optim *State                `json:"-"`
	// Meta travels as one JSON string.
	Meta Meta `json:"-"`
}

// Meta is the non-tensor part of a Checkpoint.
type Meta struct {
	Arch       string          `json:"arch"`
	NumClasses int             `json:"num_classes"`
	Labels     []string        `json:"labels,omitempty"`
	Epoch      int             `json:"epoch"`      // 0-based epoch to resume in
	NextBatch  int             `json:"next_batch"` // batch of Epoch to resume at (0: a fresh epoch)
	Epochs     int             `json:"epochs"`     // planned total
	History    []EpochStats    `json:"history"`
	OptimKind  string          `json:"optim_kind"`
	OptGroups  []GroupState    `json:"optim_groups"`
	Sched      *SchedulerState `json:"sched,omitempty"`
	Settings   map[string]any  `json:"settings,omitempty"` // the command line's choices, for the record
}

// SaveCheckpoint writes c to path atomically (temp file, fsync, rename):
// a crash or a full disk leaves the previous checkpoint intact.
func SaveCheckpoint(path string, c *Checkpoint) error {
	meta := c.Meta
	if c.Optim != nil {
		meta.OptimKind, meta.OptGroups = c.Optim.Kind, c.Optim.Groups
	}
	js, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("train: checkpoint metadata: %w", err)
	}
	opt := checkpoint.NewDict(false)
	if c.Optim != nil {
		for k, t := range c.Optim.Buffers {
			if err := opt.Set(k, t); err != nil {
				return err
			}
		}
	}
	obj := map[string]any{"model": c.Model, "optimizer": opt, "meta": string(js)}
	return checkpoint.SaveObject(path, obj)
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	obj, err := checkpoint.LoadObject(path)
	if err != nil {
		return nil, err
	}
	d, ok := obj.(*checkpoint.Dict)
	if !ok {
		return nil, fmt.Errorf("train: %s: not a training checkpoint (top level is %T)", path, obj)
	}
	get := func(k string) any { v, _ := d.Get(k); return v }
	js, ok := get("meta").(string)
	if !ok {
		return nil, fmt.Errorf("train: %s: not a training checkpoint (no \"meta\"; use --weights for plain weights)", path)
	}
	c := &Checkpoint{}
	if err := json.Unmarshal([]byte(js), &c.Meta); err != nil {
		return nil, fmt.Errorf("train: %s: meta: %w", path, err)
	}
	md, ok := get("model").(*checkpoint.Dict)
	if !ok {
		return nil, fmt.Errorf("train: %s: no \"model\" state dict", path)
	}
	c.Model = checkpoint.NewStateDict()
	for i := 0; i < md.Len(); i++ {
		k, v := md.At(i)
		ks, ok1 := k.(string)
		t, ok2 := v.(*checkpoint.Tensor)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("train: %s: model entry %v is not a named tensor", path, k)
		}
		c.Model.Add(ks, t)
	}
	c.Optim = &State{Kind: c.Meta.OptimKind, Groups: c.Meta.OptGroups, Buffers: map[string]*tensor.Tensor{}}
	if od, ok := get("optimizer").(*checkpoint.Dict); ok {
		for i := 0; i < od.Len(); i++ {
			k, v := od.At(i)
			ks, ok1 := k.(string)
			t, ok2 := v.(*checkpoint.Tensor)
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("train: %s: optimizer entry %v is not a named tensor", path, k)
			}
			c.Optim.Buffers[ks] = t.Float()
		}
	}
	return c, nil
}

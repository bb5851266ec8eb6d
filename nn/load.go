package nn

import (
	"fmt"
	"sort"
	"strings"

	"github.com/resnetgo/resnet/tensor"
)

// Value is a named tensor from a checkpoint: float data in F32, or
// integer data (num_batches_tracked) in I64.
type Value struct {
	Shape []int
	F32   []float32
	I64   []int64
}

// Mismatch is a key present in both model and checkpoint with different shapes.
type Mismatch struct {
	Name       string
	Model, Got []int
}

// LoadReport lists what did not line up between a module and a state dict.
type LoadReport struct {
	Missing    []string   // in the model, not in the state dict
	Unexpected []string   // in the state dict, not in the model
	Mismatched []Mismatch // in both, with different shapes
}

// OK reports whether everything matched.
func (r *LoadReport) OK() bool {
	return len(r.Missing) == 0 && len(r.Unexpected) == 0 && len(r.Mismatched) == 0
}

// StateError is returned by strict loading; it lists every problem at once.
type StateError struct{ Report LoadReport }

func (e *StateError) Error() string {
	var b strings.Builder
	b.WriteString("nn: state dict does not match the model:")
	r := e.Report
	if len(r.Missing) > 0 {
		fmt.Fprintf(&b, "\n  missing keys (%d): %s", len(r.Missing), strings.Join(r.Missing, ", "))
	}
	if len(r.Unexpected) > 0 {
		fmt.Fprintf(&b, "\n  unexpected keys (%d): %s", len(r.Unexpected), strings.Join(r.Unexpected, ", "))
	}
	for _, m := range r.Mismatched {
		fmt.Fprintf(&b, "\n  size mismatch for %s: checkpoint has %s, model has %s",
			m.Name, tensor.ShapeString(m.Got), tensor.ShapeString(m.Model))
	}
	return b.String()
}

// Load copies values into m's parameters and buffers by state_dict name.
// Float data of the right length is adopted without copying, so the
// caller must not reuse it. With strict, any missing, unexpected or
// mis-shaped key makes Load fail without changing m, and the error (a
// *StateError) lists them all. Without strict, matching keys are loaded
// and the rest is returned in the report.
func Load(m Stateful, values map[string]Value, strict bool) (*LoadReport, error) {
	rep := &LoadReport{}
	seen := make(map[string]bool, len(values))
	type job struct {
		e Entry
		v Value
	}
	var jobs []job
	m.Visit("", func(e Entry) {
		v, ok := values[e.Name]
		if !ok {
			rep.Missing = append(rep.Missing, e.Name)
			return
		}
		seen[e.Name] = true
		want := e.Shape()
		n, _ := tensor.Numel(want)
		got := len(v.F32) + len(v.I64)
		if !sameScalarShape(want, v.Shape) || got != n {
			rep.Mismatched = append(rep.Mismatched, Mismatch{Name: e.Name, Model: want, Got: v.Shape})
			return
		}
		jobs = append(jobs, job{e, v})
	})
	for k := range values {
		if !seen[k] {
			rep.Unexpected = append(rep.Unexpected, k)
		}
	}
	sort.Strings(rep.Unexpected)
	if strict && !rep.OK() {
		return rep, &StateError{Report: *rep}
	}
	for _, j := range jobs {
		if j.e.Count != nil {
			if len(j.v.I64) == 1 {
				*j.e.Count = j.v.I64[0]
			} else {
				*j.e.Count = int64(j.v.F32[0])
			}
			continue
		}
		t := j.e.Tensor()
		if len(j.v.F32) == len(t.Data) {
			t.Data = j.v.F32
		} else {
			for i, x := range j.v.I64 {
				t.Data[i] = float32(x)
			}
		}
	}
	return rep, nil
}

// sameScalarShape compares shapes, treating () and (1) alike for scalars
// as PyTorch does for num_batches_tracked in old checkpoints.
func sameScalarShape(a, b []int) bool {
	if tensor.SameShape(a, b) {
		return true
	}
	n1, _ := tensor.Numel(a)
	n2, _ := tensor.Numel(b)
	return n1 == 1 && n2 == 1 && len(a) <= 1 && len(b) <= 1
}

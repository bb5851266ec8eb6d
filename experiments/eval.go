package experiments

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/resnetgo/resnet/data"
	"github.com/resnetgo/resnet/tensor"
	"github.com/resnetgo/resnet/train"
)

// evalSet is a test set loaded once into memory as batches, so that many
// evaluations (one per removed block) do not decode it again.
type evalSet struct {
	batches []*data.Batch
	n       int
}

func loadEvalSet(ctx context.Context, d data.Dataset, batch, workers int) (*evalSet, error) {
	l := &data.Loader{Dataset: d, BatchSize: batch, Workers: workers}
	it, err := l.Epoch(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	e := &evalSet{}
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		e.batches = append(e.batches, b)
		e.n += len(b.Labels)
	}
	if n := l.NumSkipped(); n > 0 {
		return nil, fmt.Errorf("experiments: %d test images could not be loaded (first: %v)", n, l.Skipped()[0].Err)
	}
	return e, nil
}

// forwardFunc computes logits in eval mode.
type forwardFunc func(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error)

// errorRate returns the top-1 error and mean cross-entropy of forward over
// the set.
func (e *evalSet) errorRate(ctx context.Context, forward forwardFunc) (errRate, loss float64, err error) {
	var wrong int
	var lossSum float64
	for _, b := range e.batches {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		logits, err := forward(ctx, b.X)
		if err != nil {
			return 0, 0, err
		}
		l, _, err := train.CrossEntropy(logits, b.Labels, 0)
		if err != nil {
			return 0, 0, err
		}
		lossSum += l * float64(len(b.Labels))
		wrong += len(b.Labels) - train.CountCorrect(logits, b.Labels)
	}
	return float64(wrong) / float64(e.n), lossSum / float64(e.n), nil
}

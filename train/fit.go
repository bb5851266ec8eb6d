package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/resnetgo/resnet/data"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
)

// Trainer runs epochs of training and validation of a network.
type Trainer struct {
	Model *models.ResNet
	Opt   Optimizer
	// Sched is stepped once per epoch, after it (PyTorch's usual
	// placement); nil keeps the learning rates constant.
	Sched Scheduler
	Train *data.Loader
	// Val is evaluated after every epoch; nil skips validation.
	Val *data.Loader
	// Smoothing is cross-entropy's label smoothing.
	Smoothing float64
	// OnBatch, if set, is called after every training batch.
	OnBatch func(BatchStats)
}

// BatchStats describe one training batch, for progress displays.
type BatchStats struct {
	Epoch, Batch, Batches int
	Images                int     // images in this batch
	Loss, Acc             float64 // this batch's mean loss and accuracy
	EpochLoss, EpochAcc   float64 // running means over the epoch so far
	ImagesPerSec          float64 // over the epoch so far
}

// EpochStats summarise one epoch; they are what metrics files hold.
type EpochStats struct {
	Epoch        int     `json:"epoch"` // 1-based
	LR           float64 `json:"lr"`    // of the first parameter group, during the epoch
	TrainLoss    float64 `json:"train_loss"`
	TrainAcc     float64 `json:"train_acc"`
	ValLoss      float64 `json:"val_loss"` // NaN without validation
	ValAcc       float64 `json:"val_acc"`
	Images       int     `json:"images"`
	Seconds      float64 `json:"seconds"`
	ImagesPerSec float64 `json:"images_per_s"`
	Skipped      int     `json:"skipped"` // samples that failed to load so far
}

// Interrupted is returned by RunEpoch when its context is cancelled
// between batches: the network and optimiser are consistent, and the
// epoch can be resumed at NextBatch.
type Interrupted struct {
	Epoch, NextBatch int
	Err              error
}

func (e *Interrupted) Error() string {
	return fmt.Sprintf("train: interrupted in epoch %d before batch %d: %v", e.Epoch+1, e.NextBatch, e.Err)
}

func (e *Interrupted) Unwrap() error { return e.Err }

// RunEpoch trains one epoch (0-based epoch number, starting at batch
// start, 0 unless resuming), then validates and steps the scheduler.
func (t *Trainer) RunEpoch(ctx context.Context, epoch, start int) (EpochStats, error) {
	st := EpochStats{Epoch: epoch + 1, LR: t.Opt.Groups()[0].LR, ValLoss: math.NaN(), ValAcc: math.NaN()}
	it, err := t.Train.Epoch(ctx, epoch, start)
	if err != nil {
		return st, err
	}
	defer it.Close()
	t.Model.SetTraining(true)
	defer t.Model.SetTraining(false)
	began := time.Now()
	var lossSum float64
	var correct int
	nb := t.Train.NumBatches()
	next := start
	for {
		if err := ctx.Err(); err != nil {
			return st, &Interrupted{Epoch: epoch, NextBatch: next, Err: err}
		}
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ctx.Err() != nil {
				return st, &Interrupted{Epoch: epoch, NextBatch: next, Err: ctx.Err()}
			}
			return st, err
		}
		loss, ok, err := t.step(b.X, b.Labels)
		if err != nil {
			return st, fmt.Errorf("train: epoch %d batch %d: %w", epoch+1, b.Index, err)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return st, fmt.Errorf("train: epoch %d batch %d: loss is %v (learning rate too high?)", epoch+1, b.Index, loss)
		}
		n := len(b.Labels)
		lossSum += loss * float64(n)
		correct += ok
		st.Images += n
		next = b.Index + 1
		if t.OnBatch != nil {
			el := time.Since(began).Seconds()
			t.OnBatch(BatchStats{Epoch: epoch + 1, Batch: b.Index + 1, Batches: nb, Images: n,
				Loss: loss, Acc: float64(ok) / float64(n), EpochLoss: lossSum / float64(st.Images),
				EpochAcc: float64(correct) / float64(st.Images), ImagesPerSec: float64(st.Images) / el})
		}
	}
	st.Seconds = time.Since(began).Seconds()
	if st.Images > 0 {
		st.TrainLoss, st.TrainAcc = lossSum/float64(st.Images), float64(correct)/float64(st.Images)
		st.ImagesPerSec = float64(st.Images) / st.Seconds
	}
	if t.Val != nil {
		if st.ValLoss, st.ValAcc, _, err = Evaluate(ctx, t.Model, t.Val); err != nil {
			return st, err
		}
	}
	st.Skipped = t.Train.NumSkipped()
	if t.Sched != nil {
		t.Sched.Step()
	}
	return st, nil
}

// step runs forward, loss, backward and the optimiser on one batch and
// returns the mean loss and the number of correct predictions.
func (t *Trainer) step(x *tensor.Tensor, labels []int) (float64, int, error) {
	t.Opt.ZeroGrad()
	logits, err := t.Model.ForwardTrain(x, false)
	if err != nil {
		return 0, 0, err
	}
	loss, dlogits, err := CrossEntropy(logits, labels, t.Smoothing)
	if err != nil {
		return 0, 0, err
	}
	ok := CountCorrect(logits, labels)
	if _, err := t.Model.Backward(dlogits); err != nil {
		return 0, 0, err
	}
	t.Opt.Step()
	return loss, ok, nil
}

// Evaluate runs the network in eval mode over every batch of l and returns
// the mean cross-entropy (no smoothing), the accuracy and the image count.
func Evaluate(ctx context.Context, m *models.ResNet, l *data.Loader) (loss, acc float64, n int, err error) {
	it, err := l.Epoch(ctx, 0, 0)
	if err != nil {
		return 0, 0, 0, err
	}
	defer it.Close()
	var lossSum float64
	var correct int
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0, 0, err
		}
		logits, err := m.Forward(ctx, b.X)
		if err != nil {
			return 0, 0, 0, err
		}
		l, _, err := CrossEntropy(logits, b.Labels, 0)
		if err != nil {
			return 0, 0, 0, err
		}
		lossSum += l * float64(len(b.Labels))
		correct += CountCorrect(logits, b.Labels)
		n += len(b.Labels)
	}
	if n == 0 {
		return math.NaN(), math.NaN(), 0, nil
	}
	return lossSum / float64(n), float64(correct) / float64(n), n, nil
}

// CountCorrect counts the rows of logits (N, classes) whose first maximum is
// the row's label: top-1 hits, as torch.argmax picks them.
func CountCorrect(logits *tensor.Tensor, labels []int) int {
	k := logits.Shape[1]
	ok := 0
	for i, y := range labels {
		row := logits.Data[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if best == y {
			ok++
		}
	}
	return ok
}

// MarshalJSON writes NaN metrics (no validation) as null, which JSON allows.
func (s EpochStats) MarshalJSON() ([]byte, error) {
	type plain EpochStats
	v := struct {
		plain
		ValLoss *float64 `json:"val_loss"`
		ValAcc  *float64 `json:"val_acc"`
	}{plain: plain(s)}
	if !math.IsNaN(s.ValLoss) {
		v.ValLoss, v.ValAcc = &s.ValLoss, &s.ValAcc
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *EpochStats) UnmarshalJSON(b []byte) error {
	type plain EpochStats
	v := struct {
		*plain
		ValLoss *float64 `json:"val_loss"`
		ValAcc  *float64 `json:"val_acc"`
	}{plain: (*plain)(s)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	s.ValLoss, s.ValAcc = math.NaN(), math.NaN()
	if v.ValLoss != nil && v.ValAcc != nil {
		s.ValLoss, s.ValAcc = *v.ValLoss, *v.ValAcc
	}
	return nil
}

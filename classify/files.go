package classify

import (
	"context"

	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/tensor"
)

// Result is the outcome for one image file.
type Result struct {
	File     string       `json:"file"`
	Top      []Prediction `json:"top,omitempty"`
	Logits   []float32    `json:"logits,omitempty"`
	Features []float32    `json:"features,omitempty"`
	Err      error        `json:"-"`
}

// FileOptions control ClassifyFiles.
type FileOptions struct {
	TopK     int  // predictions per image (default 5)
	Batch    int  // images per forward pass (default 8)
	Logits   bool // keep the raw logits in each Result
	Features bool // keep the pooled penultimate features in each Result
}

// ClassifyFiles decodes, preprocesses and classifies the files in batches,
// calling fn once per file, in order. A file that cannot be read or
// decoded gets a Result with Err set and the others are still classified.
// The returned error is only for failures of the whole run (a cancelled
// context, a network error).
func (c *Classifier) ClassifyFiles(ctx context.Context, paths []string, o FileOptions, fn func(Result)) error {
	if o.TopK == 0 {
		o.TopK = 5
	}
	if o.Batch < 1 {
		o.Batch = 8
	}
	for start := 0; start < len(paths); start += o.Batch {
		chunk := paths[start:min(start+o.Batch, len(paths))]
		x, errs := imageio.LoadBatch(ctx, chunk, c.Transform, c.Decode)
		if err := ctx.Err(); err != nil {
			return err
		}
		results := make([]Result, len(chunk))
		var ok []int
		for i, p := range chunk {
			results[i].File = p
			if errs != nil && errs[i] != nil {
				results[i].Err = errs[i]
			} else {
				ok = append(ok, i)
			}
		}
		if len(ok) > 0 {
			per := x.Len() / len(chunk)
			if len(ok) < len(chunk) { // compact the batch to the images that decoded
				y := tensor.New(append([]int{len(ok)}, x.Shape[1:]...)...)
				for j, i := range ok {
					copy(y.Data[j*per:(j+1)*per], x.Data[i*per:(i+1)*per])
				}
				x = y
			}
			logits, f, err := c.Forward(ctx, x)
			if err != nil {
				return err
			}
			nc, fd := logits.Shape[1], f.Shape[1]
			for j, i := range ok {
				row := logits.Data[j*nc : (j+1)*nc]
				results[i].Top = c.TopK(row, o.TopK)
				if o.Logits {
					results[i].Logits = append([]float32(nil), row...)
				}
				if o.Features {
					results[i].Features = append([]float32(nil), f.Data[j*fd:(j+1)*fd]...)
				}
			}
		}
		for _, r := range results {
			fn(r)
		}
	}
	return nil
}

package imageio

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/resnetgo/resnet/tensor"
)

// LoadBatch decodes the files and applies t to each, in parallel (one
// worker per CPU), into one (len(paths), Channels, Crop, Crop) tensor. t.Crop must
// be positive so that every image has the same size. A file that fails
// leaves its slot zero and its error, naming the file, in errs[i]; errs is
// nil when every file succeeded. Cancelling ctx stops the remaining files
// with ctx.Err().
func LoadBatch(ctx context.Context, paths []string, t Transform, opt Options) (*tensor.Tensor, []error) {
	errs := make([]error, len(paths))
	err := t.Check(opt)
	if err == nil && t.Crop <= 0 {
		err = fmt.Errorf("imageio: LoadBatch needs a positive crop size")
	}
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return nil, errs
	}
	c := t.Crop
	per := t.Channels() * c * c
	out := tensor.New(len(paths), t.Channels(), c, c)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(paths)) {
		wg.Go(func() {
			for i := range next {
				if err := ctx.Err(); err != nil {
					errs[i] = fmt.Errorf("%s: %w", paths[i], err)
					continue
				}
				data, err := ReadFile(paths[i], opt)
				if err != nil {
					errs[i] = err
					continue
				}
				x, err := t.load(data, opt)
				if err != nil {
					errs[i] = fmt.Errorf("%s: %w", paths[i], err)
					continue
				}
				copy(out.Data[i*per:(i+1)*per], x.Data)
			}
		})
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return out, errs
		}
	}
	return out, nil
}

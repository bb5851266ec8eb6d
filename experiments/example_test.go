package experiments_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/resnetgo/resnet/experiments"
)

// The three experiments on a small synthetic problem with 8-layer
// networks, then the report. With experiments.FashionMNIST() and the
// default networks this is what 'resnet experiment all' runs.
func Example() {
	ctx := context.Background()
	out, err := os.MkdirTemp("", "experiments")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(out)
	d, err := experiments.Synthetic(128, 64, 8, 1, 4, 1)
	if err != nil {
		panic(err)
	}
	common := experiments.Common{Out: out, Seed: 1}
	res, err := experiments.RunDegradation(ctx, d, experiments.DegradationConfig{
		Common: common, Nets: []string{"plain8", "resnet8"},
		Iters: 16, Batch: 16, LogEvery: 4, EvalEvery: 8,
	})
	if err != nil {
		panic(err)
	}
	for _, r := range res.Nets {
		fmt.Printf("%s: %d layers, %d iterations, test error on %d images\n", r.Net, r.Depth, r.Iterations, r.TestImages)
	}
	err = experiments.RunLesion(ctx, d, experiments.LesionConfig{Common: common, Nets: []string{"plain8", "resnet8"}, MaxK: 1, Draws: 2})
	if err != nil {
		panic(err)
	}
	err = experiments.RunGradFlow(ctx, d, experiments.GradFlowConfig{Common: common, Nets: []string{"plain8", "resnet8"}, Batches: 2, Batch: 16})
	if err != nil {
		panic(err)
	}
	if err := experiments.WriteReport(out); err != nil {
		panic(err)
	}
	for _, f := range []string{"degradation/figure6.png", "lesion/lesion.png", "gradflow/gradflow.png", "REPORT.md"} {
		_, err := os.Stat(filepath.Join(out, f))
		fmt.Println(f, err == nil)
	}
	// Output:
	// plain8: 8 layers, 16 iterations, test error on 64 images
	// resnet8: 8 layers, 16 iterations, test error on 64 images
	// degradation/figure6.png true
	// lesion/lesion.png true
	// gradflow/gradflow.png true
	// REPORT.md true
}

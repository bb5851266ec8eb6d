package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"time"

	"github.com/resnetgo/resnet/engine"
	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/tensor"
	"github.com/spf13/cobra"
)

func newBenchCmd() *cobra.Command {
	var (
		mf           modelFlags
		batch, size  int
		warmup, iter int
		minTime      time.Duration
		asJSON       bool
		useEngine    bool
		profile      bool
		prec         precision
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure forward-pass latency and throughput",
		Long: `Runs warm-up passes, then timed forward passes on a random batch, and prints
latency percentiles and throughput. With --json it prints one JSON object.
With --profile it then times each convolution inside --iters more passes of
the compiled engine and prints them by the name of their module in PyTorch's
model (conv1, layer2.0.conv2, ...), with the totals per kind.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			m, err := mf.load(ctx, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if size == 0 {
				size = m.Config.InputSize
			}
			if batch < 1 || size < 1 || iter < 1 {
				return fmt.Errorf("--batch, --size and --iters must be positive")
			}
			if err := checkSide(size); err != nil {
				return err
			}
			name := m.Config.Name
			forward := m.Forward
			if err := prec.check(cmd.ErrOrStderr(), useEngine); err != nil {
				return err
			}
			if profile && !useEngine {
				return fmt.Errorf("--profile times the compiled engine's layers: drop --engine=false")
			}
			var plan *engine.Plan
			if useEngine {
				p, err := engine.Compile(m, engine.Options{InPlace: true, MaxBatch: batch, BF16: prec.bf16, Int8: prec.int8})
				if err != nil {
					return err
				}
				plan, forward = p, p.Forward
			}
			x := tensor.New(batch, m.Config.InChannels, size, size)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range x.Data {
				x.Data[i] = float32(rng.NormFloat64())
			}
			for i := 0; i < warmup; i++ {
				if _, err := forward(ctx, x); err != nil {
					return err
				}
			}
			var times []float64
			start := time.Now()
			for len(times) < iter || time.Since(start) < minTime {
				t0 := time.Now()
				if _, err := forward(ctx, x); err != nil {
					return err
				}
				times = append(times, float64(time.Since(t0).Microseconds())/1000)
			}
			sort.Float64s(times)
			pct := func(p float64) float64 { return times[min(len(times)-1, int(p*float64(len(times))))] }
			ks := kernels.Running()
			res := map[string]any{
				"arch": name, "engine": useEngine, "bf16": prec.bf16, "bf16_native": prec.bf16 && kernels.BF16Native(), "int8": prec.int8, "int8_native": prec.int8 && kernels.Int8Native(), "batch": batch, "size": size, "threads": runtime.GOMAXPROCS(0),
				"kernels": ks.GEMM, "int8_kernels": ks.Int8, "bf16_kernels": ks.BF16,
				"iters": len(times), "ms_median": pct(0.5), "ms_p90": pct(0.9), "ms_min": times[0],
				"ms_per_image": pct(0.5) / float64(batch), "images_per_s": float64(batch) * 1000 / pct(0.5),
			}
			var pr *engine.Profile
			if profile {
				if pr, err = plan.Profile(ctx, x, iter); err != nil {
					return err
				}
				res["profile"] = profileJSON(pr)
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
			}
			kdesc := ks.GEMM
			if prec.int8 {
				kdesc += ", int8 " + ks.Int8
			}
			if prec.bf16 {
				kdesc += ", bf16 " + ks.BF16
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s batch %d %dx%d, %d threads (%s kernels), %d runs: median %.2f ms, p90 %.2f ms, min %.2f ms; %.2f ms/image, %.1f images/s\n",
				name, batch, size, size, res["threads"], kdesc, len(times), res["ms_median"], res["ms_p90"], res["ms_min"], res["ms_per_image"], res["images_per_s"])
			if pr != nil {
				printProfile(cmd.OutOrStdout(), pr, iter)
			}
			return nil
		},
	}
	mf.register(cmd, false)
	f := cmd.Flags()
	f.IntVar(&batch, "batch", 1, "images per forward pass")
	f.IntVar(&size, "size", 0, "input height and width (0 = the architecture's: 224, or 32 for CIFAR nets)")
	f.IntVar(&warmup, "warmup", 2, "untimed passes first")
	f.IntVar(&iter, "iters", 10, "timed passes (at least)")
	f.DurationVar(&minTime, "min-time", 0, "keep timing until this much time has passed")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.BoolVar(&useEngine, "engine", true, "run the compiled inference engine (false: the layer-by-layer reference path)")
	f.BoolVar(&profile, "profile", false, "then time each convolution inside --iters more passes (engine only)")
	prec.register(f)
	return cmd
}

// profileJSON is --profile's part of --json: each convolution's median
// time a pass per image, and the pass's.
func profileJSON(pr *engine.Profile) map[string]any {
	var layers []map[string]any
	for _, l := range pr.Layers {
		layers = append(layers, map[string]any{"name": l.Name, "kind": l.Kind, "in_channels": l.InC, "out_channels": l.OutC,
			"groups": l.Groups, "height": l.H, "width": l.W, "ms": l.Time.Seconds() * 1e3})
	}
	return map[string]any{"pass_ms": pr.Pass.Seconds() * 1e3, "layers": layers}
}

// printProfile prints --profile's table: the convolutions in the order a
// pass runs them, then the totals per kind and what the rest of the pass
// (pools, fc) took.
func printProfile(w io.Writer, pr *engine.Profile, passes int) {
	fmt.Fprintf(w, "\nconvolutions inside %d passes, medians per image:\n", passes)
	kinds := map[string]time.Duration{}
	var total time.Duration
	for _, l := range pr.Layers {
		fmt.Fprintf(w, "  %-28s %-16s %5d→%-5d g%-2d %4dx%-4d %8.3f ms\n", l.Name, l.Kind, l.InC, l.OutC, l.Groups, l.H, l.W, l.Time.Seconds()*1e3)
		kinds[l.Kind] += l.Time
		total += l.Time
	}
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		fmt.Fprintf(w, "  %-16s %8.2f ms  %5.1f %%\n", k, kinds[k].Seconds()*1e3, 100*kinds[k].Seconds()/pr.Pass.Seconds())
	}
	fmt.Fprintf(w, "  %-16s %8.2f ms  %5.1f %%\n", "the rest", max(0, pr.Pass-total).Seconds()*1e3, 100*max(0, pr.Pass-total).Seconds()/pr.Pass.Seconds())
	fmt.Fprintf(w, "  %-16s %8.2f ms\n", "pass", pr.Pass.Seconds()*1e3)
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/resnetgo/resnet/classify"
	"github.com/resnetgo/resnet/embedded"
	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/npy"
	"github.com/resnetgo/resnet/tensor"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

// imageExts are the extensions picked up when a directory is walked
// (files named explicitly are always tried; formats are sniffed from content).
var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".bmp": true,
	".tif": true, ".tiff": true, ".webp": true}

func newClassifyCmd() *cobra.Command {
	var (
		model, arch, weights, labels, featuresOut string
		topk, batch                               int
		asJSON, logits, useEngine                 bool
		prec                                      precision
		hf                                        hubFlags
	)
	cmd := &cobra.Command{
		Use:   "classify [flags] IMAGE|DIR|- ...",
		Short: "Classify images with a pretrained or fine-tuned network",
		Long: `Classifies image files (directories are walked; "-" reads one image from
standard input) and prints the top classes with their softmax probabilities.

With no --model or --weights, the network built into the binary classifies clothing
(Fashion-MNIST's ten classes), offline. Otherwise the network is a hub name (--model resnet50, resnet50:v2, resnext101_32x8d_wsl, ...;
weights are downloaded once and cached) or a checkpoint (--weights FILE, with --arch
when it cannot be inferred). Preprocessing is the eval transform the weights were
published with, identical to PIL + torchvision.

The network runs on the compiled inference engine (batch norm folded into the
convolutions, fused epilogues, reused buffers); --engine=false runs the
layer-by-layer reference path instead. Both agree with PyTorch within float32
tolerance. --threads limits the worker threads.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			stderr := cmd.ErrOrStderr()
			var c *classify.Classifier
			var err error
			if err := prec.check(cmd.ErrOrStderr(), useEngine); err != nil {
				return err
			}
			opts := classify.Options{Reference: !useEngine, MaxBatch: batch, BF16: prec.bf16, Int8: prec.int8}
			switch {
			case weights != "":
				c, err = classify.LoadFile(ctx, arch, weights, opts)
			case model != "":
				c, err = classify.Load(ctx, model, hf.client(stderr), opts)
			default:
				c, err = embedded.Load(opts)
				if err == nil {
					fmt.Fprintf(stderr, "using the built-in %s (Fashion-MNIST clothing classes); --model NAME for ImageNet networks\n", embedded.Name)
				}
			}
			if err != nil {
				return err
			}
			if labels != "" {
				l, err := classify.ReadLabels(labels)
				if err != nil {
					return err
				}
				if err := c.SetLabels(l); err != nil {
					return err
				}
			}
			files, stdin, err := expandInputs(args)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			emit := resultPrinter(out, asJSON)
			failed := 0
			var feats [][]float32
			if stdin {
				r := classify.Result{File: "-"}
				img, _, err := imageio.Decode(cmd.InOrStdin(), c.Decode)
				if err == nil {
					r.Top, err = c.Classify(ctx, img, topk)
				}
				r.Err = err
				if err != nil {
					failed++
				}
				emit(r)
			}
			var bar *progressbar.ProgressBar
			if len(files) > 1 {
				bar = imageBar(stderr, len(files), "classifying")
			}
			err = c.ClassifyFiles(ctx, files, classify.FileOptions{TopK: topk, Batch: batch, Logits: logits, Features: featuresOut != ""},
				func(r classify.Result) {
					if bar != nil {
						bar.Add(1)
					}
					if r.Err != nil {
						failed++
					} else if featuresOut != "" {
						feats = append(feats, r.Features)
						r.Features = nil
					}
					emit(r)
				})
			if bar != nil {
				bar.Finish()
			}
			if err != nil {
				return err
			}
			if featuresOut != "" && len(feats) > 0 {
				d := len(feats[0])
				t := tensor.New(len(feats), d)
				for i, f := range feats {
					copy(t.Data[i*d:], f)
				}
				if err := npy.WriteFile(featuresOut, t); err != nil {
					return err
				}
				fmt.Fprintf(stderr, "wrote features (%d, %d) of the successfully classified images, in order, to %s\n", len(feats), d, featuresOut)
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d images failed", failed, len(files)+btoi(stdin))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&model, "model", "m", "", "hub name of pretrained weights (see 'resnet models')")
	f.StringVar(&arch, "arch", "", "architecture of --weights (inferred when omitted)")
	f.StringVarP(&weights, "weights", "w", "", "checkpoint file (.pth or .safetensors)")
	f.StringVar(&labels, "labels", "", "class names, one per line (overrides the built-in ones)")
	f.IntVarP(&topk, "topk", "k", 5, "classes to show per image")
	f.IntVar(&batch, "batch", 8, "images per forward pass")
	f.BoolVar(&asJSON, "json", false, "write JSON Lines, one object per image")
	f.BoolVar(&logits, "logits", false, "include raw logits in the JSON output")
	f.StringVar(&featuresOut, "features", "", "write the pooled penultimate features of every image to this .npy file")
	f.BoolVar(&useEngine, "engine", true, "run the compiled inference engine (false: the layer-by-layer reference path)")
	prec.register(f)
	hf.register(cmd, true)
	return cmd
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// expandInputs turns arguments into a file list, walking directories.
func expandInputs(args []string) (files []string, stdin bool, err error) {
	for _, a := range args {
		if a == "-" {
			stdin = true
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			files = append(files, a) // reported per file, like an unreadable image
			continue
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && imageExts[strings.ToLower(filepath.Ext(p))] {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, false, err
		}
	}
	return files, stdin, nil
}

// resultPrinter returns a function writing one result as a table or a JSON line.
func resultPrinter(w io.Writer, asJSON bool) func(classify.Result) {
	enc := json.NewEncoder(w)
	return func(r classify.Result) {
		if asJSON {
			v := map[string]any{"file": r.File}
			if r.Err != nil {
				v["error"] = r.Err.Error()
			} else {
				v["top"] = r.Top
				if r.Logits != nil {
					v["logits"] = r.Logits
				}
			}
			enc.Encode(v)
			return
		}
		if r.Err != nil {
			// The error usually names the file already.
			fmt.Fprintf(w, "%s: error: %s\n\n", displayable(r.File), displayable(strings.TrimPrefix(r.Err.Error(), r.File+": ")))
			return
		}
		fmt.Fprintf(w, "%s\n", displayable(r.File))
		fmt.Fprintf(w, "%4s  %5s  %8s  %s\n", "rank", "index", "prob", "label")
		for i, p := range r.Top {
			fmt.Fprintf(w, "%4d  %5d  %8.4f  %s\n", i+1, p.Index, p.Prob, displayable(p.Label))
		}
		fmt.Fprintln(w)
	}
}

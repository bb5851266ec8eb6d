package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/resnetgo/resnet/classify"
	"github.com/resnetgo/resnet/embedded"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/onnx"
	"github.com/spf13/cobra"
)

func newExportCmd() *cobra.Command {
	var mf modelFlags
	var hf hubFlags
	var model string
	var o onnx.Options
	var size int
	cmd := &cobra.Command{
		Use:   "export [--model NAME | --weights FILE | --arch NAME] OUT.onnx",
		Short: "Export a network to ONNX (for ONNX Runtime, TensorRT, OpenVINO, ...)",
		Long: `Writes the network as an ONNX model (opset 13): input "input", float32 (N, C, H, W),
normalised as for classify; output "logits", float32 (N, classes). N, H and W are
symbolic unless --batch and --size fix them. The weights keep PyTorch's state_dict
names; a model over 2 GB (the wider WSL networks), or any with --external-data,
keeps them in OUT.onnx.data beside it. When the network comes with class names and
preprocessing (--model, a checkpoint written by 'resnet finetune', the built-in
network) they are stored as metadata_props "labels" and "transform" (JSON).

The network is a hub name (--model resnet50, resnext101_32x8d_wsl, ...; downloaded
and cached as for classify), a checkpoint (--weights FILE, --arch optional),
--arch alone for random weights (--seed), or, with none of them, the built-in
Fashion-MNIST network.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, out, stderr := cmd.Context(), args[0], cmd.ErrOrStderr()
			if size < 0 {
				return fmt.Errorf("--size %d: want a positive side, or 0 for any", size)
			}
			o.Height, o.Width = size, size
			// Reference: the classifier keeps its network's weights as
			// they were read (the engine would fold them in place).
			copts := classify.Options{Reference: true}
			var c *classify.Classifier
			var m *models.ResNet
			var err error
			switch {
			case model != "":
				c, err = classify.Load(ctx, model, hf.client(stderr), copts)
			case mf.weights != "":
				c, err = classify.LoadFile(ctx, mf.arch, mf.weights, copts)
			case mf.arch != "":
				m, err = mf.load(ctx, stderr)
			default:
				c, err = embedded.Load(copts)
				if err == nil {
					fmt.Fprintf(stderr, "exporting the built-in %s (--model, --weights or --arch for another network)\n", embedded.Name)
				}
			}
			if err != nil {
				return err
			}
			o.Metadata = map[string]string{}
			if c != nil {
				m = c.Model
				labels, err := json.Marshal(c.Labels)
				if err != nil {
					return err
				}
				transform, err := json.Marshal(c.Transform)
				if err != nil {
					return err
				}
				o.Metadata["labels"], o.Metadata["transform"] = string(labels), string(transform)
			}
			o.Metadata["arch"] = m.Config.Name
			if err := onnx.ExportFile(ctx, out, m, o); err != nil {
				return err
			}
			fi, err := os.Stat(out)
			if err != nil {
				return err
			}
			total, where := fi.Size(), ""
			if di, err := os.Stat(out + ".data"); err == nil && (o.ExternalData || total < di.Size()) {
				total += di.Size()
				where = fmt.Sprintf(", weights in %s", out+".data")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s, %d parameters, %.1f MB%s)\n", out, m.Config.Name, m.NumParams(), float64(total)/1e6, where)
			return nil
		},
	}
	mf.register(cmd, false)
	hf.register(cmd, true)
	f := cmd.Flags()
	f.StringVarP(&model, "model", "m", "", "hub name of pretrained weights (see 'resnet models')")
	f.IntVar(&o.Batch, "batch", 0, "fix the batch size in the graph (0: any)")
	f.IntVar(&size, "size", 0, "fix the input's height and width (0: any)")
	f.BoolVar(&o.ExternalData, "external-data", false, "store the weights beside the model (OUT.onnx.data) even when they would fit in it")
	return cmd
}

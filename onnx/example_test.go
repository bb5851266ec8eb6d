package onnx_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/onnx"
)

// Export a network (here resnet20 with random weights; models.LoadFile
// reads a checkpoint) for ONNX Runtime: input "input" (N, 3, H, W),
// output "logits" (N, 10), N, H and W left to the runtime.
func ExampleExportFile() {
	m, err := models.New("resnet20", models.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "onnx-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "resnet20.onnx")
	if err := onnx.ExportFile(context.Background(), path, m, onnx.Options{Metadata: map[string]string{"arch": "resnet20"}}); err != nil {
		log.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d parameters, %.1f MB\n", filepath.Base(path), m.NumParams(), float64(fi.Size())/1e6)
	// Output: resnet20.onnx: 269722 parameters, 1.1 MB
}

// Package embedded holds the default network built into the resnet
// command, so that it classifies images with no download and no flags: a
// CIFAR-style ResNet-20 trained by our own trainer on Fashion-MNIST (ten
// kinds of clothing, 28×28 grayscale). The file carries its class names,
// its preprocessing and the command and figures of its training run.
package embedded

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/classify"
)

// Name identifies the embedded network.
const Name = "fashion-mnist-resnet20"

//go:embed fashion_resnet20.safetensors
var weights []byte

// Load returns a classifier for the embedded network, on the compiled
// engine unless o (at most one) says otherwise. Each call decodes a fresh
// copy (about 1 MB), so callers may change it freely.
func Load(o ...classify.Options) (*classify.Classifier, error) {
	sd, err := checkpoint.LoadFrom(bytes.NewReader(weights), int64(len(weights)), Name)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	c, err := classify.FromStateDict(sd.Metadata["arch"], sd, o...)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	return c, nil
}

// Metadata returns what the file says about itself: arch, labels,
// transform, epochs, train_acc, val_acc (Fashion-MNIST's test split).
func Metadata() (map[string]string, error) {
	sd, err := checkpoint.LoadFrom(bytes.NewReader(weights), int64(len(weights)), Name)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	return sd.Metadata, nil
}

package engine_test

import (
	"context"
	"fmt"
	"log"

	"github.com/resnetgo/resnet/engine"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
)

// Compile a model once, then run it on batches of any size.
func Example() {
	m, err := models.New("resnet20", models.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	p, err := engine.Compile(m, engine.Options{InPlace: true}) // m is spent
	if err != nil {
		log.Fatal(err)
	}
	logits, err := p.Forward(context.Background(), tensor.New(4, 3, 32, 32))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(logits.Shape)
	// Output: [4 10]
}

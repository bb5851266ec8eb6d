package models_test

import (
	"context"
	"fmt"

	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
)

func ExampleNew() {
	m, err := models.New("resnext50_32x4d", models.Options{NumClasses: 10, Seed: 1})
	if err != nil {
		panic(err)
	}
	params, gmacs := m.Config.Stats(224, 224)
	fmt.Printf("%s: %.1fM parameters, %.2f GMACs, %d-d features\n", m.Config.Name, float64(params)/1e6, float64(gmacs)/1e9, m.Config.FeatureDim())
	// Output: resnext50_32x4d: 23.0M parameters, 4.23 GMACs, 2048-d features
}

func ExampleLoadFile() {
	// A CIFAR ResNet-20 written by torch.save (testdata/gen/models_gen.py).
	ctx := context.Background()
	m, err := models.LoadFile(ctx, "resnet20", "testdata/resnet20.pth", models.Options{})
	if err != nil {
		panic(err)
	}
	x := tensor.New(1, 3, 32, 32) // an all-zero image
	logits, err := m.Forward(ctx, x)
	if err != nil {
		panic(err)
	}
	fmt.Println(logits.Shape)
	// Output: [1 10]
}

func ExampleInfer() {
	m, _ := models.New("wide_resnet50_2", models.Options{NoInit: true})
	shapes := map[string][]int{}
	for k, t := range models.StateDict(m).Tensors {
		shapes[k] = t.Shape
	}
	cs, err := models.Infer(shapes)
	if err != nil {
		panic(err)
	}
	fmt.Println(cs[0].Name, cs[0].NumClasses)
	// Output: wide_resnet50_2 1000
}

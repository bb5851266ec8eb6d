package checkpoint_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/tensor"
)

func ExampleLoad() {
	// A DataParallel checkpoint wrapped as {"state_dict": …, "epoch": 3}.
	sd, err := checkpoint.Load("testdata/wrapped_state_dict.pth")
	if err != nil {
		panic(err)
	}
	for _, k := range sd.Keys {
		fmt.Println(k, sd.Tensors[k])
	}
	w := sd.Tensors["conv1.weight"].Float() // a *tensor.Tensor
	fmt.Println(w.Shape, len(w.Data))
	// Output:
	// conv1.weight Tensor([3, 2, 3, 3], float32)
	// bn1.weight Tensor([3], float32)
	// bn1.bias Tensor([3], float32)
	// bn1.running_mean Tensor([3], float32)
	// bn1.running_var Tensor([3], float32)
	// bn1.num_batches_tracked Tensor([], int64)
	// fc.weight Tensor([2, 3], float32)
	// fc.bias Tensor([2], float32)
	// [3 2 3 3] 54
}

func ExampleSaveObject() {
	dir, _ := os.MkdirTemp("", "ckpt")
	defer os.RemoveAll(dir)

	sd := checkpoint.NewStateDict()
	w, _ := tensor.FromData([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	sd.Add("fc.weight", checkpoint.FromTensor(w))
	sd.Add("bn.num_batches_tracked", checkpoint.Int64Tensor([]int64{100}))

	// A training checkpoint; torch.load(path, weights_only=True) reads it.
	path := filepath.Join(dir, "ckpt.pth")
	err := checkpoint.SaveObject(path, map[string]any{
		"model":  sd,
		"epoch":  3,
		"labels": []string{"cat", "dog"},
	})
	if err != nil {
		panic(err)
	}

	obj, err := checkpoint.LoadObject(path)
	if err != nil {
		panic(err)
	}
	d := obj.(*checkpoint.Dict)
	epoch, _ := d.Get("epoch")
	labels, _ := d.Get("labels")
	fmt.Println(d.Keys(), epoch, labels)

	back, _ := checkpoint.Load(path) // finds the state dict under "model"
	fmt.Println(back.Keys, back.Tensors["fc.weight"].F32)
	// Output:
	// [epoch labels model] 3 [cat dog]
	// [fc.weight bn.num_batches_tracked] [1 2 3 4 5 6]
}

func ExampleUnpickle() {
	// pickle.dumps({"a": (1, 2.5)}, protocol=2)
	v, err := checkpoint.Unpickle([]byte("\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01G@\x04\x00\x00\x00\x00\x00\x00\x86q\x02s."))
	if err != nil {
		panic(err)
	}
	a, _ := v.(*checkpoint.Dict).Get("a")
	fmt.Println(a)

	// A pickle that would call os.system is refused.
	_, err = checkpoint.Unpickle([]byte("\x80\x02cos\nsystem\nX\x02\x00\x00\x00ls\x85R."))
	fmt.Println(err)
	// Output:
	// [1 2.5]
	// checkpoint: pickle names global "os.system", which is not allowed (it could run code) (offset 2)
}

func ExampleDetect() {
	b, _ := os.ReadFile("testdata/tiny_legacy.pth")
	fmt.Println(checkpoint.Detect(b[:checkpoint.DetectSize]))
	// Output: torch legacy
}

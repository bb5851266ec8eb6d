package tensor

import (
	"math"
	"testing"
)

func TestReshape(t *testing.T) {
	x := New(2, 3, 4)
	y, err := x.Reshape(6, -1)
	if err != nil {
		t.Fatal(err)
	}
	if !SameShape(y.Shape, []int{6, 4}) {
		t.Fatalf("shape %v", y.Shape)
	}
	y.Data[0] = 7
	if x.Data[0] != 7 {
		t.Fatal("reshape must share data")
	}
	if _, err := x.Reshape(5, -1); err == nil {
		t.Fatal("expected error for 24 elements into (5, -1)")
	}
	if _, err := x.Reshape(-1, -1); err == nil {
		t.Fatal("expected error for two -1")
	}
}

func TestFromDataErrors(t *testing.T) {
	if _, err := FromData(make([]float32, 5), 2, 3); err == nil {
		t.Fatal("expected size mismatch error")
	}
	if _, err := FromData(nil, -1); err == nil {
		t.Fatal("expected negative dimension error")
	}
	if _, err := Numel([]int{math.MaxInt / 4, 8}); err == nil {
		t.Fatal("expected overflow error")
	}
}

func TestClone(t *testing.T) {
	x := New(2, 2)
	y := x.Clone()
	y.Data[0] = 1
	if x.Data[0] != 0 {
		t.Fatal("clone shares data")
	}
	if y.String() != "Tensor[2, 2]" {
		t.Fatal(y.String())
	}
}

package main

import (
	"fmt"

	"github.com/resnetgo/resnet/hub"
)

// weightsInfo returns the reference top-1 and weights address of an
// architecture's default pretrained weights (V1 where torchvision has two),
// or "-" when there are none.
func weightsInfo(arch string) (top1, url string) {
	e, err := hub.Lookup(arch)
	if err != nil {
		return "-", "-"
	}
	return fmt.Sprintf("%.2f", e.Top1), e.URL
}

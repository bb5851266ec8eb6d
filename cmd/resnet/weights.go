package main

// weightsInfo returns the reference top-1 and weights address of an
// architecture's default pretrained weights, or "-" when there are none.
func weightsInfo(arch string) (top1, url string) { return "-", "-" }

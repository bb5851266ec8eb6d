// Package imagenet holds the ImageNet-1k class names in the order of a
// classifier's 1000 logits, as torchvision lists them (_IMAGENET_CATEGORIES
// in torchvision/models/_meta.py). Every torchvision and WSL weights file in
// package hub uses this order.
//
// The names are torchvision's short English labels, not WordNet ids.
// torchvision made them unique ("crane bird" 134 and "crane" 517, "maillot"
// 638 and "maillot tank suit" 639), so a name also identifies its index.
package imagenet

//go:generate go run gen_labels.go

// NumClasses is the number of ImageNet-1k classes.
const NumClasses = 1000

// Labels returns the 1000 class names, index i being logit i.
// The slice is a fresh copy the caller may modify.
func Labels() []string {
	out := make([]string, NumClasses)
	copy(out, labels[:])
	return out
}

// Label returns the name of class i, or "" if i is not in [0, NumClasses).
func Label(i int) string {
	if i < 0 || i >= NumClasses {
		return ""
	}
	return labels[i]
}

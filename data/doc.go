// Package data feeds training: torchvision's ImageFolder layout, the
// MNIST/Fashion-MNIST IDX files, the train-time augmentations
// (RandomResizedCrop, RandomHorizontalFlip, RandomCrop with padding) and a
// Loader that shuffles with a seed, decodes in parallel and hands out NCHW
// batches.
//
// Randomness comes from math/rand/v2 sources derived from (seed, epoch,
// position in the epoch), so an epoch is the same whatever the number of
// workers and can be resumed at any batch. The draws are not PyTorch's, but
// the geometry computed from them is torchvision's, and the pixels of a
// given crop box are PIL's (crop, then Image.resize).
package data

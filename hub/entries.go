package hub

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// License names the terms a weights file is published under.
type License string

const (
	// BSD3 covers torchvision's ImageNet weights.
	BSD3 License = "BSD-3-Clause"
	// CCBYNC4 covers the WSL-Images weights: non-commercial use only.
	CCBYNC4 License = "CC-BY-NC-4.0"
)

// Commercial reports whether the licence allows commercial use.
func (l License) Commercial() bool { return l != CCBYNC4 }

// Transform is the evaluation preprocessing a weights file was measured with
// (torchvision's ImageClassification preset): resize the shorter side to
// ResizeSize, centre-crop CropSize × CropSize, scale to [0, 1], normalise.
type Transform struct {
	ResizeSize    int
	CropSize      int
	Interpolation string     // "bilinear" for every entry
	Mean          [3]float32 // per RGB channel; float32 as torchvision normalises in the tensor's dtype
	Std           [3]float32
}

// ImageNet mean and standard deviation, shared by every entry.
var (
	imagenetMean = [3]float32{0.485, 0.456, 0.406}
	imagenetStd  = [3]float32{0.229, 0.224, 0.225}
)

func evalTransform(resize int) Transform {
	return Transform{ResizeSize: resize, CropSize: 224, Interpolation: "bilinear", Mean: imagenetMean, Std: imagenetStd}
}

// Entry describes one published weights file.
type Entry struct {
	Name string // hub name: "resnet50" (V1, as pretrained=True), "resnet50:v2", "resnext101_32x8d_wsl"
	Arch string // architecture the file fits, as package models names it
	// Weights is torchvision's enum member ("IMAGENET1K_V1"); the WSL files,
	// which torchvision does not list, are "IG_940M_FT_IMAGENET1K" (our name:
	// 940M Instagram images pretraining, ImageNet-1k fine-tuning).
	Weights string
	URL     string // official address; the file name is the torch.hub cache name

	// SHA256Prefix is the hex run after the last '-' of the file name: a
	// prefix of the file's SHA-256 (the torch.hub convention).
	SHA256Prefix string
	// ApproxSize is the file size in bytes, to ±1 MB: torchvision's _file_size
	// (MiB) or, for WSL, 4 bytes per parameter. For display, disk-space
	// checks and a bound on downloads (a quarter and 64 MiB past it: see
	// ErrTooLarge); the hash is what identifies the file. The two Wide ResNet
	// V1 files are half the size of the others per parameter: they hold
	// float16 tensors.
	ApproxSize int64

	Params     int64   // learnable parameters (torchvision's num_params)
	GFLOPS     float64 // multiply-adds ×1e9 of conv and fc layers at 224×224
	Top1, Top5 float64 // ImageNet-1k validation accuracy, %, single 224 crop
	License    License
	Transform  Transform
	Legacy     bool // stored in the legacy (pre-1.6, non-zip) torch.save format
}

// FileName returns the file's base name, under which torch.hub and this
// package cache it.
func (e *Entry) FileName() string { return path.Base(e.URL) }

// Variant returns "v1" or "v2" for torchvision weights and "wsl" for WSL ones.
func (e *Entry) Variant() string {
	switch {
	case strings.HasSuffix(e.Name, ":v2"):
		return "v2"
	case strings.HasSuffix(e.Name, "_wsl"):
		return "wsl"
	}
	return "v1"
}

const tv = "https://download.pytorch.org/models/"

// mib converts torchvision's _file_size (MiB, 3 decimals) to bytes.
func mib(m float64) int64 { return int64(m * (1 << 20)) }

// entries: torchvision 0.14 models/resnet.py (URLs, num_params, acc@1/5,
// transforms) and torchvision ≥ 0.15 (_ops, _file_size); WSL: the WSL-Images
// hubconf.py and README (top-1/5), with parameter counts and GFLOPS computed
// from the architecture (the README rounds them: 88M/193M/466M/829M, 16/36/87/153B).
var entries = []Entry{
	{Name: "resnet18", Arch: "resnet18", Weights: "IMAGENET1K_V1", URL: tv + "resnet18-f37072fd.pth",
		ApproxSize: mib(44.661), Params: 11689512, GFLOPS: 1.814, Top1: 69.758, Top5: 89.078},
	{Name: "resnet34", Arch: "resnet34", Weights: "IMAGENET1K_V1", URL: tv + "resnet34-b627a593.pth",
		ApproxSize: mib(83.275), Params: 21797672, GFLOPS: 3.664, Top1: 73.314, Top5: 91.420},
	{Name: "resnet50", Arch: "resnet50", Weights: "IMAGENET1K_V1", URL: tv + "resnet50-0676ba61.pth",
		ApproxSize: mib(97.781), Params: 25557032, GFLOPS: 4.089, Top1: 76.130, Top5: 92.862},
	{Name: "resnet50:v2", Arch: "resnet50", Weights: "IMAGENET1K_V2", URL: tv + "resnet50-11ad3fa6.pth",
		ApproxSize: mib(97.79), Params: 25557032, GFLOPS: 4.089, Top1: 80.858, Top5: 95.434},
	{Name: "resnet101", Arch: "resnet101", Weights: "IMAGENET1K_V1", URL: tv + "resnet101-63fe2227.pth",
		ApproxSize: mib(170.511), Params: 44549160, GFLOPS: 7.801, Top1: 77.374, Top5: 93.546},
	{Name: "resnet101:v2", Arch: "resnet101", Weights: "IMAGENET1K_V2", URL: tv + "resnet101-cd907fc2.pth",
		ApproxSize: mib(170.53), Params: 44549160, GFLOPS: 7.801, Top1: 81.886, Top5: 95.780},
	{Name: "resnet152", Arch: "resnet152", Weights: "IMAGENET1K_V1", URL: tv + "resnet152-394f9c45.pth",
		ApproxSize: mib(230.434), Params: 60192808, GFLOPS: 11.514, Top1: 78.312, Top5: 94.046},
	{Name: "resnet152:v2", Arch: "resnet152", Weights: "IMAGENET1K_V2", URL: tv + "resnet152-f82ba261.pth",
		ApproxSize: mib(230.474), Params: 60192808, GFLOPS: 11.514, Top1: 82.284, Top5: 96.002},
	{Name: "resnext50_32x4d", Arch: "resnext50_32x4d", Weights: "IMAGENET1K_V1", URL: tv + "resnext50_32x4d-7cdf4587.pth",
		ApproxSize: mib(95.789), Params: 25028904, GFLOPS: 4.23, Top1: 77.618, Top5: 93.698},
	{Name: "resnext50_32x4d:v2", Arch: "resnext50_32x4d", Weights: "IMAGENET1K_V2", URL: tv + "resnext50_32x4d-1a0047aa.pth",
		ApproxSize: mib(95.833), Params: 25028904, GFLOPS: 4.23, Top1: 81.198, Top5: 95.340},
	{Name: "resnext101_32x8d", Arch: "resnext101_32x8d", Weights: "IMAGENET1K_V1", URL: tv + "resnext101_32x8d-8ba56ff5.pth",
		ApproxSize: mib(339.586), Params: 88791336, GFLOPS: 16.414, Top1: 79.312, Top5: 94.526},
	{Name: "resnext101_32x8d:v2", Arch: "resnext101_32x8d", Weights: "IMAGENET1K_V2", URL: tv + "resnext101_32x8d-110c445d.pth",
		ApproxSize: mib(339.673), Params: 88791336, GFLOPS: 16.414, Top1: 82.834, Top5: 96.228},
	// resnext101_64x4d has only one file; torchvision calls it V1 but trained it
	// with the V2 recipe, hence the 232 resize.
	{Name: "resnext101_64x4d", Arch: "resnext101_64x4d", Weights: "IMAGENET1K_V1", URL: tv + "resnext101_64x4d-173b62eb.pth",
		ApproxSize: mib(319.318), Params: 83455272, GFLOPS: 15.46, Top1: 83.246, Top5: 96.454},
	{Name: "wide_resnet50_2", Arch: "wide_resnet50_2", Weights: "IMAGENET1K_V1", URL: tv + "wide_resnet50_2-95faca4d.pth",
		ApproxSize: mib(131.82), Params: 68883240, GFLOPS: 11.398, Top1: 78.468, Top5: 94.086},
	{Name: "wide_resnet50_2:v2", Arch: "wide_resnet50_2", Weights: "IMAGENET1K_V2", URL: tv + "wide_resnet50_2-9ba9bcbe.pth",
		ApproxSize: mib(263.124), Params: 68883240, GFLOPS: 11.398, Top1: 81.602, Top5: 95.758},
	{Name: "wide_resnet101_2", Arch: "wide_resnet101_2", Weights: "IMAGENET1K_V1", URL: tv + "wide_resnet101_2-32ee1156.pth",
		ApproxSize: mib(242.896), Params: 126886696, GFLOPS: 22.753, Top1: 78.848, Top5: 94.284},
	{Name: "wide_resnet101_2:v2", Arch: "wide_resnet101_2", Weights: "IMAGENET1K_V2", URL: tv + "wide_resnet101_2-d733dc28.pth",
		ApproxSize: mib(484.747), Params: 126886696, GFLOPS: 22.753, Top1: 82.510, Top5: 96.020},

	{Name: "resnext101_32x8d_wsl", Arch: "resnext101_32x8d_wsl", Weights: "IG_940M_FT_IMAGENET1K", URL: tv + "ig_resnext101_32x8-c38310e5.pth",
		ApproxSize: 4 * 88791336, Params: 88791336, GFLOPS: 16.414, Top1: 82.2, Top5: 96.4},
	{Name: "resnext101_32x16d_wsl", Arch: "resnext101_32x16d_wsl", Weights: "IG_940M_FT_IMAGENET1K", URL: tv + "ig_resnext101_32x16-c6f796b0.pth",
		ApproxSize: 4 * 194026792, Params: 194026792, GFLOPS: 36.163, Top1: 84.2, Top5: 97.2},
	{Name: "resnext101_32x32d_wsl", Arch: "resnext101_32x32d_wsl", Weights: "IG_940M_FT_IMAGENET1K", URL: tv + "ig_resnext101_32x32-e4b90b00.pth",
		ApproxSize: 4 * 468530472, Params: 468530472, GFLOPS: 87.107, Top1: 85.1, Top5: 97.5},
	{Name: "resnext101_32x48d_wsl", Arch: "resnext101_32x48d_wsl", Weights: "IG_940M_FT_IMAGENET1K", URL: tv + "ig_resnext101_32x48-3e41cc8a.pth",
		ApproxSize: 4 * 828411176, Params: 828411176, GFLOPS: 153.310, Top1: 85.4, Top5: 97.6},
}

// The fields every entry derives from its name and URL.
func init() {
	for i := range entries {
		e := &entries[i]
		f := strings.TrimSuffix(e.FileName(), ".pth")
		e.SHA256Prefix = f[strings.LastIndexByte(f, '-')+1:]
		e.License, e.Transform = BSD3, evalTransform(256)
		switch {
		case e.Variant() == "wsl":
			e.License, e.Legacy = CCBYNC4, true
		case e.Variant() == "v2" || e.Name == "resnext101_64x4d":
			e.Transform = evalTransform(232)
		}
	}
}

// Entries returns every weights entry, in table order (torchvision's
// architectures from small to large, V1 before V2, then WSL).
// The slice is a copy.
func Entries() []Entry { return slices.Clone(entries) }

// Names returns every entry name, in table order.
func Names() []string {
	out := make([]string, len(entries))
	for i := range entries {
		out[i] = entries[i].Name
	}
	return out
}

// Lookup returns the entry called name. Names are matched without regard to
// case; "NAME:v1" is accepted for the V1 entry "NAME". An unknown name gives
// an *UnknownNameError that suggests the closest names.
func Lookup(name string) (Entry, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	key = strings.TrimSuffix(key, ":v1")
	for i := range entries {
		if entries[i].Name == key {
			return entries[i], nil
		}
	}
	return Entry{}, &UnknownNameError{Name: name, Suggestions: closest(key, 3)}
}

// UnknownNameError reports a name that is not in the table.
type UnknownNameError struct {
	Name        string
	Suggestions []string // the closest valid names, best first
}

func (e *UnknownNameError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hub: unknown weights name %q", e.Name)
	if len(e.Suggestions) > 0 {
		fmt.Fprintf(&b, "; did you mean %s?", strings.Join(quoteAll(e.Suggestions), " or "))
	}
	fmt.Fprintf(&b, " (valid names: %s)", strings.Join(Names(), ", "))
	return b.String()
}

func quoteAll(s []string) []string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return q
}

// closest returns up to n names within a plausible edit distance of key,
// nearest first (ties in table order).
func closest(key string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, e := range entries {
		d := editDistance(key, e.Name)
		// A prefix ("resnext101", "wide_resnet50") is a near miss too.
		if strings.HasPrefix(e.Name, key) && len(key) >= 4 {
			d = min(d, 1)
		}
		if d <= max(2, len(key)/3) {
			cs = append(cs, cand{e.Name, d})
		}
	}
	slices.SortStableFunc(cs, func(a, b cand) int { return a.d - b.d })
	var out []string
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

// editDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and swaps of neighbours ("resnet05") cost 1.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

package hub

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Entries() {
		if seen[e.Name] || seen[e.FileName()] {
			t.Errorf("%s: duplicate name or file", e.Name)
		}
		seen[e.Name], seen[e.FileName()] = true, true
		if !regexp.MustCompile(`^https://download\.pytorch\.org/models/[a-z0-9_]+-[0-9a-f]{8}\.pth$`).MatchString(e.URL) {
			t.Errorf("%s: odd URL %s", e.Name, e.URL)
		}
		if !strings.HasSuffix(e.URL, "-"+e.SHA256Prefix+".pth") {
			t.Errorf("%s: prefix %s is not the URL's", e.Name, e.SHA256Prefix)
		}
		if e.Arch != strings.TrimSuffix(e.Name, ":v2") {
			t.Errorf("%s: arch %s", e.Name, e.Arch)
		}
		wantResize, wantLic, wantLegacy := 256, BSD3, false
		switch {
		case e.Variant() == "v2" || e.Name == "resnext101_64x4d":
			wantResize = 232
		case e.Variant() == "wsl":
			wantLic, wantLegacy = CCBYNC4, true
		}
		tr := e.Transform
		if tr.ResizeSize != wantResize || tr.CropSize != 224 || tr.Interpolation != "bilinear" ||
			tr.Mean != [3]float32{0.485, 0.456, 0.406} || tr.Std != [3]float32{0.229, 0.224, 0.225} {
			t.Errorf("%s: transform %+v", e.Name, tr)
		}
		if e.License != wantLic || e.Legacy != wantLegacy {
			t.Errorf("%s: licence %s legacy %v", e.Name, e.License, e.Legacy)
		}
		if e.Params <= 0 || e.GFLOPS <= 0 || e.Top1 <= 0 || e.Top5 <= e.Top1 || e.ApproxSize < 2*e.Params {
			t.Errorf("%s: implausible numbers %+v", e.Name, e)
		}
	}
	if len(seen) != 2*21 {
		t.Errorf("%d entries, want 21 (17 torchvision + 4 WSL)", len(seen)/2)
	}
}

// The SPEC §3 addresses, verbatim.
func TestTableMatchesSpec(t *testing.T) {
	spec := "resnet18-f37072fd.pth, resnet34-b627a593.pth, resnet50-0676ba61.pth, resnet50-11ad3fa6.pth, " +
		"resnet101-63fe2227.pth, resnet101-cd907fc2.pth, resnet152-394f9c45.pth, resnet152-f82ba261.pth, " +
		"resnext50_32x4d-7cdf4587.pth, resnext50_32x4d-1a0047aa.pth, resnext101_32x8d-8ba56ff5.pth, " +
		"resnext101_32x8d-110c445d.pth, resnext101_64x4d-173b62eb.pth, wide_resnet50_2-95faca4d.pth, " +
		"wide_resnet50_2-9ba9bcbe.pth, wide_resnet101_2-32ee1156.pth, wide_resnet101_2-d733dc28.pth, " +
		"ig_resnext101_32x8-c38310e5.pth, ig_resnext101_32x16-c6f796b0.pth, ig_resnext101_32x32-e4b90b00.pth, " +
		"ig_resnext101_32x48-3e41cc8a.pth"
	var files []string
	for _, e := range Entries() {
		files = append(files, e.FileName())
	}
	if got := strings.Join(files, ", "); got != spec {
		t.Errorf("files:\n%s\nwant:\n%s", got, spec)
	}
}

// TestTableMatchesTorchvision parses Debian's torchvision models/resnet.py
// (python3-torchvision) and compares every Weights entry with the table.
func TestTableMatchesTorchvision(t *testing.T) {
	const src = "/usr/lib/python3/dist-packages/torchvision/models/resnet.py"
	b, err := os.ReadFile(src)
	if err != nil {
		t.Skipf("torchvision source not installed: %v", err)
	}
	byURL := map[string]Entry{}
	for _, e := range Entries() {
		byURL[e.URL] = e
	}
	block := regexp.MustCompile(`(?s)(IMAGENET1K_V\d) = Weights\(\s*url="([^"]+)",\s*transforms=partial\(ImageClassification, ([^)]*)\),.*?"num_params": (\d+),.*?"acc@1": ([\d.]+),\s*"acc@5": ([\d.]+),`)
	n := 0
	for _, m := range block.FindAllStringSubmatch(string(b), -1) {
		n++
		e, ok := byURL[m[2]]
		if !ok {
			t.Errorf("torchvision's %s is not in the table", m[2])
			continue
		}
		resize := 256 // ImageClassification's default
		if r := regexp.MustCompile(`resize_size=(\d+)`).FindStringSubmatch(m[3]); r != nil {
			resize, _ = strconv.Atoi(r[1])
		}
		params, _ := strconv.ParseInt(m[4], 10, 64)
		top1, _ := strconv.ParseFloat(m[5], 64)
		top5, _ := strconv.ParseFloat(m[6], 64)
		if e.Weights != m[1] || e.Transform.ResizeSize != resize || !strings.Contains(m[3], "crop_size=224") ||
			e.Params != params || e.Top1 != top1 || e.Top5 != top5 {
			t.Errorf("%s: table %s resize %d params %d top %.3f/%.3f; torchvision %s %q params %d top %.3f/%.3f",
				e.Name, e.Weights, e.Transform.ResizeSize, e.Params, e.Top1, e.Top5, m[1], m[3], params, top1, top5)
		}
	}
	if n != 17 {
		t.Errorf("found %d Weights entries in %s, want 17", n, src)
	}
}

func TestLookup(t *testing.T) {
	for name, want := range map[string]string{
		"resnet50":             "resnet50-0676ba61.pth",
		"ResNet50":             "resnet50-0676ba61.pth",
		"resnet50:v1":          "resnet50-0676ba61.pth",
		" resnet50:V2 ":        "resnet50-11ad3fa6.pth",
		"resnext101_32x8d_wsl": "ig_resnext101_32x8-c38310e5.pth",
	} {
		e, err := Lookup(name)
		if err != nil || e.FileName() != want {
			t.Errorf("Lookup(%q) = %s, %v; want %s", name, e.FileName(), err, want)
		}
	}
	for name, suggest := range map[string]string{
		"resnet05":            `"resnet50"`,
		"resnet50v2":          `"resnet50:v2"`,
		"resnext101_32x8_wsl": `"resnext101_32x8d_wsl"`,
		"wide_resnet50":       `"wide_resnet50_2"`,
		"resnet":              ``,
	} {
		_, err := Lookup(name)
		var u *UnknownNameError
		if !errors.As(err, &u) {
			t.Fatalf("Lookup(%q) err = %v", name, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, "valid names: resnet18, resnet34,") || !strings.Contains(msg, "resnext101_32x48d_wsl") {
			t.Errorf("Lookup(%q): error does not list the valid names: %s", name, msg)
		}
		if suggest != "" && !strings.Contains(msg, "did you mean "+suggest) {
			t.Errorf("Lookup(%q): want first suggestion %s: %s", name, suggest, msg)
		}
	}
}

func TestEntriesIsACopy(t *testing.T) {
	Entries()[0].URL = "changed"
	if e, _ := Lookup("resnet18"); e.URL == "changed" {
		t.Fatal("Entries exposes the table")
	}
}

func ExampleLookup() {
	e, err := Lookup("resnet50:v2")
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Arch, e.FileName(), e.SHA256Prefix, e.License)
	fmt.Printf("top-1 %.3f%%, %d params, resize %d, crop %d\n", e.Top1, e.Params, e.Transform.ResizeSize, e.Transform.CropSize)

	_, err = Lookup("resnet05")
	fmt.Println(err.(*UnknownNameError).Suggestions)
	// Output:
	// resnet50 resnet50-11ad3fa6.pth 11ad3fa6 BSD-3-Clause
	// top-1 80.858%, 25557032 params, resize 232, crop 224
	// [resnet50 resnet18 resnet34]
}

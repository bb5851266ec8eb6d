package imagenet

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestLabels(t *testing.T) {
	l := Labels()
	if len(l) != NumClasses {
		t.Fatalf("len(Labels()) = %d, want %d", len(l), NumClasses)
	}
	// Checked against torchvision 0.14's _IMAGENET_CATEGORIES.
	known := map[int]string{
		0:   "tench",
		1:   "goldfish",
		134: "crane bird",
		207: "golden retriever",
		281: "tabby",
		517: "crane",
		639: "maillot tank suit",
		954: "banana",
		999: "toilet tissue",
	}
	for i, want := range known {
		if l[i] != want || Label(i) != want {
			t.Errorf("class %d = %q / %q, want %q", i, l[i], Label(i), want)
		}
	}
	seen := map[string]int{}
	for i, s := range l {
		if s == "" {
			t.Errorf("class %d has an empty name", i)
		}
		if j, ok := seen[s]; ok {
			t.Errorf("classes %d and %d are both %q", j, i, s)
		}
		seen[s] = i
	}
}

func TestLabelsIsACopy(t *testing.T) {
	Labels()[0] = "changed"
	if Label(0) != "tench" {
		t.Fatal("modifying the slice from Labels changed the package's table")
	}
}

func TestLabelOutOfRange(t *testing.T) {
	for _, i := range []int{-1, NumClasses, math.MaxInt} {
		if got := Label(i); got != "" {
			t.Errorf("Label(%d) = %q, want \"\"", i, got)
		}
	}
}

func ExampleLabel() {
	fmt.Println(Label(0), "|", Label(1), "|", Label(999))
	// Output: tench | goldfish | toilet tissue
}

// TestGenerated reruns the generator when torchvision's source is installed
// (Debian: python3-torchvision) and checks labels.go is what it writes.
func TestGenerated(t *testing.T) {
	const src = "/usr/lib/python3/dist-packages/torchvision/models/_meta.py"
	if _, err := os.Stat(src); err != nil {
		t.Skipf("%s not installed", src)
	}
	if testing.Short() {
		t.Skip("runs go run")
	}
	out := filepath.Join(t.TempDir(), "labels.go")
	cmd := exec.Command("go", "run", "gen_labels.go", "-src", src, "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen_labels.go: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("labels.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("labels.go differs from what gen_labels.go writes now: run go generate ./imagenet")
	}
}

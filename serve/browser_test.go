//go:build !js && !wasip1

package serve

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds a Chrome or Chromium binary: $CHROMIUM, else the PATH.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestWebPageInChromium drives the page at / in headless Chromium: choose
// a file, then drop another, and read the top-5 bars. It runs when a
// Chromium binary is found (and not with -short), and must run when
// RESNET_BROWSER_TEST=1 (CI). RESNET_SCREENSHOT=FILE saves a screenshot.
func TestWebPageInChromium(t *testing.T) {
	required := os.Getenv("RESNET_BROWSER_TEST") == "1"
	bin := chromium()
	switch {
	case bin == "" && required:
		t.Fatal("RESNET_BROWSER_TEST=1 but no chromium binary: apt-get install chromium, or set CHROMIUM")
	case bin == "":
		t.Skip("no chromium binary (apt-get install chromium)")
	case testing.Short() && !required:
		t.Skip("browser test; RESNET_BROWSER_TEST=1 runs it with -short")
	}
	_, ts := newTest(t, Config{})
	img := pngImage(t, 64, 48, 3)
	path := filepath.Join(t.TempDir(), "gradient.png")
	if err := os.WriteFile(path, img, 0o644); err != nil {
		t.Fatal(err)
	}
	top := testClassifier().TopK(directLogits(t, img), 5)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1000, 700),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	if err := chromedp.Do(bctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{path}),
		chromedp.WaitVisible(chromedp.CSS(`#bars .bar`)),
	); err != nil {
		t.Fatal(err)
	}
	models := must(chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#model`))))
	nbars := must(chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('#bars .bar').length`)))
	width := must(chromedp.Run(bctx, chromedp.Evaluate[int](`document.getElementById('preview').naturalWidth`)))
	bars := must(chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#bars`))))
	status := must(chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#status`))))
	if !strings.Contains(models, "m (resnet20, 10 classes)") {
		t.Errorf("model list %q", models)
	}
	if nbars != 5 || width != 64 || !strings.HasPrefix(status, "gradient.png: ") {
		t.Fatalf("%d bars, preview width %d, status %q", nbars, width, status)
	}
	if first, _, _ := strings.Cut(bars, "\n"); first != top[0].Label {
		t.Errorf("first bar %q, want %q (bars: %q)", first, top[0].Label, bars)
	}
	for _, p := range top {
		if !strings.Contains(bars, p.Label) {
			t.Errorf("bars %q lack %q", bars, p.Label)
		}
	}

	// Drop a file (built in the page from bytes) on the drop zone, and a
	// corrupt one: its error is shown.
	drop := func(name string, b []byte) string {
		return `(() => {
			const bin = atob("` + base64.StdEncoding.EncodeToString(b) + `");
			const u = new Uint8Array(bin.length);
			for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
			const dt = new DataTransfer();
			dt.items.add(new File([u], "` + name + `", { type: "image/png" }));
			document.getElementById("status").textContent = "";
			document.getElementById("drop").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
			return true;
		})()`
	}
	err := chromedp.Do(bctx,
		chromedp.Evaluate[chromedp.Void](drop("dropped.png", pngImage(t, 40, 30, 1))),
		chromedp.Poll[chromedp.Void](`document.getElementById("status").textContent.startsWith("dropped.png: ")`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate[chromedp.Void](drop("broken.png", []byte("not an image"))),
		chromedp.Poll[chromedp.Void](`document.getElementById("status").className == "error"`, chromedp.WithPollingTimeout(30*time.Second)),
	)
	if err != nil {
		t.Fatal(err)
	}
	status = must(chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#status`))))
	if !strings.Contains(status, "unknown image format") {
		t.Errorf("status after a corrupt drop: %q", status)
	}
	if out := os.Getenv("RESNET_SCREENSHOT"); out != "" {
		if err := chromedp.Do(bctx, chromedp.Evaluate[chromedp.Void](drop("gradient.png", img)),
			chromedp.Poll[chromedp.Void](`document.getElementById("status").textContent.startsWith("gradient.png: ")`)); err != nil {
			t.Fatal(err)
		}
		png := must(chromedp.Run(bctx, chromedp.FullScreenshot(100)))
		os.WriteFile(out, png, 0o644)
	}
}

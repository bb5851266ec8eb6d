package hub_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/resnetgo/resnet/hub"
)

// Fetch a weights file through a mirror (here a local test server standing
// in for download.pytorch.org), then find it again offline.
func ExampleClient_FetchEntry() {
	// A stand-in for a checkpoint, published under a torch.hub-style name
	// whose hex run is a prefix of the file's SHA-256.
	data := []byte("not really a checkpoint")
	sum := sha256.Sum256(data)
	prefix := hex.EncodeToString(sum[:4])
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, path.Base(r.URL.Path), time.Time{}, bytes.NewReader(data))
	}))
	defer srv.Close()

	dir, _ := os.MkdirTemp("", "hub-example")
	defer os.RemoveAll(dir)
	c := &hub.Client{
		CacheDir:  filepath.Join(dir, "cache"),
		TorchHome: filepath.Join(dir, "torch"),
		BaseURL:   srv.URL + "/models", // a mirror: BaseURL + "/" + file name
	}
	e := hub.Entry{Name: "my-resnet18", URL: "https://example.com/models/resnet18-" + prefix + ".pth", SHA256Prefix: prefix}
	p, err := c.FetchEntry(context.Background(), e)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Base(p))

	c.Offline = true // RESNET_OFFLINE=1 does the same
	if _, err := c.FetchEntry(context.Background(), e); err == nil {
		fmt.Println("found offline")
	}
	l, _ := c.List()
	fmt.Println(len(l), "file cached")
	// Output:
	// resnet18-5c0cd68c.pth
	// found offline
	// 1 file cached
}

// Download the official ResNet-50 V1 weights (as pretrained=True) into
// ~/.cache/resnet, with a progress bar on the terminal; a copy already in
// PyTorch's cache is used instead.
func ExampleClient_Fetch() {
	c := &hub.Client{Progress: os.Stderr, Log: os.Stderr}
	p, err := c.Fetch(context.Background(), "resnet50")
	if err != nil {
		log.Fatal(err)
	}
	e, _ := hub.Lookup("resnet50")
	fmt.Println(p, e.Transform.ResizeSize, e.License)
}

package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/resnetgo/resnet/classify"
	"github.com/resnetgo/resnet/serve"
	"github.com/resnetgo/resnet/serve/loadtest"
	"github.com/spf13/cobra"
)

// maxClients bounds a level of --concurrency.
const maxClients = 10000

func newLoadtestCmd() *cobra.Command {
	var (
		url, model, arch, imagePath, levels, token string
		requests, rssRequests, maxBatch, pid       int
		window                                     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "loadtest [flags]",
		Short: "Measure an inference server's throughput and latency at several concurrencies",
		Long: `Sends POST /v1/models/NAME:classify requests with one image from N concurrent
clients and prints throughput and p50/p99 latency for each N.

Without --url it starts its own servers on loopback with a random-init --arch
network, once with batching off (--max-batch 1) and once on, so the two can be
compared, and then reports the process's RSS before and after --rss-requests
more requests. With --url it measures that server (RSS only with --pid).
Only point it at servers on this machine or that you own.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			var concs []int
			for _, s := range strings.Split(levels, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(s))
				if err != nil || n < 1 {
					return fmt.Errorf("--concurrency %q: want a list like 1,8,32", levels)
				}
				if n > maxClients {
					// Each client holds a connection (a file descriptor
					// and a goroutine): 10^8 of them exhausted memory.
					return fmt.Errorf("--concurrency %d: at most %d clients", n, maxClients)
				}
				concs = append(concs, n)
			}
			body, err := loadtestImage(imagePath)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "# image %d bytes, %d requests per level, GOMAXPROCS %d\n", len(body), requests, runtime.GOMAXPROCS(0))
			measure := func(c int, label, target string) error {
				r, err := loadtest.Run(ctx, loadtest.Options{URL: target, Body: body, Token: token, Concurrency: c, Requests: requests})
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "%-13s %s\n", label, r)
				if r.Errors > 0 {
					fmt.Fprintf(out, "    errors: %v, first: %s\n", r.Codes, r.FirstError)
				}
				return nil
			}
			rss := func(target string, p int) error {
				if rssRequests <= 0 {
					return nil
				}
				warm := loadtest.Options{URL: target, Body: body, Token: token, Concurrency: 8, Requests: 1000}
				if _, err := loadtest.Run(ctx, warm); err != nil {
					return err
				}
				before, err := loadtest.RSS(p)
				if err != nil {
					return err
				}
				warm.Requests = rssRequests
				r, err := loadtest.Run(ctx, warm)
				if err != nil {
					return err
				}
				after, err := loadtest.RSS(p)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "RSS after 1000 warm-up requests %.1f MiB; after %d more (%d ok, %d errors) %.1f MiB (%+.1f%%)\n",
					float64(before)/(1<<20), rssRequests, r.Requests, r.Errors, float64(after)/(1<<20), 100*float64(after-before)/float64(before))
				return nil
			}
			if url != "" {
				target := strings.TrimSuffix(url, "/") + "/v1/models/" + model + ":classify"
				for _, c := range concs {
					if err := measure(c, "server", target); err != nil {
						return err
					}
				}
				if pid > 0 {
					return rss(target, pid)
				}
				return nil
			}

			// Both servers run side by side and each level measures one
			// right after the other, so that load from elsewhere on the
			// machine skews them alike.
			c, err := serveRandomClassifier(arch)
			if err != nil {
				return err
			}
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			var targets, labels []string
			for _, mb := range []int{1, maxBatch} {
				s, err := serve.New(map[string]*classify.Classifier{"m": c}, serve.Config{MaxBatch: mb, BatchWindow: window,
					QueueSize: 4096, Logger: quiet})
				if err != nil {
					return err
				}
				defer s.Close()
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					return err
				}
				hs := s.HTTPServer()
				go hs.Serve(ln)
				defer hs.Close()
				targets = append(targets, "http://"+ln.Addr().String()+"/v1/models/m:classify")
				label := "batching off"
				if mb > 1 {
					label = fmt.Sprintf("batch≤%d/%s", mb, window)
				}
				labels = append(labels, label)
			}
			for _, c := range concs {
				for i := range targets {
					if err := measure(c, labels[i], targets[i]); err != nil {
						return err
					}
				}
			}
			return rss(targets[1], 0)
		},
	}
	f := cmd.Flags()
	f.StringVar(&url, "url", "", "server to measure, e.g. http://127.0.0.1:8080 (default: start one in this process)")
	f.StringVar(&model, "model", "m", "model name on --url")
	f.StringVar(&token, "token", "", "bearer token for --url")
	f.IntVar(&pid, "pid", 0, "process ID of the --url server, to report its RSS")
	f.StringVar(&arch, "arch", "resnet20", "architecture of the in-process server's random-init network")
	f.StringVar(&imagePath, "image", "", "image file to send (default: a generated 256×256 PNG)")
	f.StringVar(&levels, "concurrency", "1,8,32", "concurrent clients, comma-separated levels")
	f.IntVar(&requests, "requests", 1000, "requests per level")
	f.IntVar(&rssRequests, "rss-requests", 10000, "requests between the two RSS readings (0 skips)")
	f.IntVar(&maxBatch, "max-batch", 32, "largest batch of the batching server")
	f.DurationVar(&window, "batch-window", 2*time.Millisecond, "batch window of the batching server")
	return cmd
}

// loadtestImage reads path, or makes a 256×256 gradient PNG.
func loadtestImage(path string) ([]byte, error) {
	if path != "" {
		return os.ReadFile(path)
	}
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for y := range 256 {
		for x := range 256 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	err := png.Encode(&b, img)
	return b.Bytes(), err
}

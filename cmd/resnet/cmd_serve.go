package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/resnetgo/resnet/classify"
	"github.com/resnetgo/resnet/hub"
	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/serve"
	"github.com/spf13/cobra"
)

func newServeCmd() *cobra.Command {
	var (
		hubNames, weights, archs, randoms   []string
		addr, grpcAddr, tlsCert, tlsKey     string
		token, logFormat, cacheDir, baseURL string
		offline, pprof, useEngine, warmup   bool
		prec                                precision
		cfg                                 serve.Config
	)
	cmd := &cobra.Command{
		Use:   "serve --model NAME[=ALIAS] | --weights FILE[=ALIAS] ... [flags]",
		Short: "Serve networks over HTTP and gRPC (plain JSON, Open Inference Protocol, web page)",
		Long: `Serves one or more networks, each under a name:

  POST /v1/models/NAME:classify     image bytes or multipart files → resnet classify --json output
  /v2/...                           the Open Inference Protocol (KServe v2) over REST
  gRPC on --grpc-addr               inference.GRPCInferenceService, the same protocol
  GET /                             a web page to try images; GET /metrics for Prometheus

Requests arriving within --batch-window run as one forward pass of up to
--max-batch images; a model's queue holds at most --queue images and answers
429 beyond. Networks run on the compiled inference engine, in slices of 8
images (--engine=false: the layer-by-layer reference path); before it listens,
each network runs once on blank images at every batch size the engine takes
(--warmup=false skips this), so that the first requests do not wait for the
engine's buffers and transformed weights. --threads limits the worker threads.
SIGTERM or SIGINT stops accepting, finishes in-flight requests (up to
--shutdown-timeout) and exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var h slog.Handler = slog.NewTextHandler(cmd.ErrOrStderr(), nil)
			if logFormat == "json" {
				h = slog.NewJSONHandler(cmd.ErrOrStderr(), nil)
			} else if logFormat != "text" {
				return fmt.Errorf("--log-format %q: want text or json", logFormat)
			}
			cfg.Logger = slog.New(h)
			if token == "" {
				token = os.Getenv("RESNET_SERVE_TOKEN")
			}
			cfg.Token = token
			cfg.Pprof = pprof
			cfg.NoWarmup = !warmup
			if (tlsCert == "") != (tlsKey == "") {
				return fmt.Errorf("--tls-cert and --tls-key go together")
			}
			if tlsCert != "" {
				cert, err := tls.LoadX509KeyPair(tlsCert, tlsKey)
				if err != nil {
					return err
				}
				cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
			}
			if len(archs) > 1 && len(archs) != len(weights) {
				return fmt.Errorf("%d --arch for %d --weights: give one --arch for all, or one per --weights in order", len(archs), len(weights))
			}

			if err := prec.check(cmd.ErrOrStderr(), useEngine); err != nil {
				return err
			}
			opts := classify.Options{Reference: !useEngine, BF16: prec.bf16, Int8: prec.int8}
			ms := map[string]*classify.Classifier{}
			add := func(name string, c *classify.Classifier) error {
				if _, dup := ms[name]; dup {
					return fmt.Errorf("two models named %q: give one an alias (NAME=ALIAS)", name)
				}
				ms[name] = c
				cfg.Logger.Info("loaded", "name", name, "arch", c.Model.Config.Name, "classes", c.Model.Config.NumClasses, "engine", useEngine, "bf16", prec.bf16, "int8", prec.int8)
				return nil
			}
			client := &hub.Client{CacheDir: cacheDir, BaseURL: baseURL, Offline: offline, Log: cmd.ErrOrStderr()}
			for _, spec := range hubNames {
				name, alias := splitServeAlias(spec)
				c, err := classify.Load(ctx, name, client, opts)
				if err != nil {
					return err
				}
				if alias == "" {
					alias = strings.ReplaceAll(name, ":", "-")
				}
				if err := add(alias, c); err != nil {
					return err
				}
			}
			for i, spec := range weights {
				file, alias := splitServeAlias(spec)
				arch := ""
				if len(archs) == 1 {
					arch = archs[0]
				} else if len(archs) > 1 {
					arch = archs[i]
				}
				c, err := classify.LoadFile(ctx, arch, file, opts)
				if err != nil {
					return err
				}
				if alias == "" {
					alias = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
				}
				if err := add(alias, c); err != nil {
					return err
				}
			}
			for _, spec := range randoms {
				arch, alias := splitServeAlias(spec)
				c, err := serveRandomClassifier(arch, opts)
				if err != nil {
					return err
				}
				if alias == "" {
					alias = arch
				}
				if err := add(alias, c); err != nil {
					return err
				}
			}
			if len(ms) == 0 {
				return fmt.Errorf("nothing to serve: give --model NAME, --weights FILE or --random ARCH")
			}
			s, err := serve.New(ms, cfg)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				s.Close()
				return err
			}
			var gln net.Listener
			if grpcAddr != "" {
				if gln, err = net.Listen("tcp", grpcAddr); err != nil {
					ln.Close()
					s.Close()
					return err
				}
			}
			return s.Serve(ctx, ln, gln)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&hubNames, "model", "m", nil, "hub name of pretrained weights, served as NAME or ALIAS (NAME=ALIAS; repeatable)")
	f.StringArrayVarP(&weights, "weights", "w", nil, "checkpoint file, served as its base name or ALIAS (FILE=ALIAS; repeatable)")
	f.StringArrayVar(&archs, "arch", nil, "architecture of --weights: once for all, or once per --weights (inferred when omitted)")
	f.StringArrayVar(&randoms, "random", nil, "deterministic random-init network ARCH[=ALIAS], for trials and load tests (repeatable)")
	f.StringVar(&addr, "addr", ":8080", "HTTP listen address")
	f.StringVar(&grpcAddr, "grpc-addr", ":8081", `gRPC listen address ("" turns gRPC off)`)
	f.IntVar(&cfg.MaxBatch, "max-batch", 32, "most images per forward pass (1 turns batching off)")
	f.BoolVar(&warmup, "warmup", true, "run each network on blank images at every engine batch size before listening")
	f.DurationVar(&cfg.BatchWindow, "batch-window", 5*time.Millisecond, "how long the first image of a batch waits for more (negative: no wait)")
	f.IntVar(&cfg.QueueSize, "queue", 256, "images waiting per model before requests are refused with 429")
	f.DurationVar(&cfg.RequestTimeout, "timeout", 30*time.Second, "deadline of each request")
	f.Int64Var(&cfg.MaxBodyBytes, "max-body", 32<<20, "largest request body or gRPC message in bytes")
	f.Int64Var(&cfg.MaxPixels, "max-pixels", 40_000_000, "largest decoded image, width×height")
	f.IntVar(&cfg.MaxImages, "max-images", 64, "most images in one request")
	f.IntVar(&cfg.MaxConcurrency, "max-concurrency", 256, "requests handled at once; more are answered 503")
	f.IntVar(&cfg.MaxDecodes, "max-decodes", 0, "images decoded at once (0 = 2×GOMAXPROCS)")
	f.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long SIGTERM waits for in-flight requests")
	f.StringVar(&tlsCert, "tls-cert", "", "TLS certificate (PEM) for HTTPS and gRPC over TLS")
	f.StringVar(&tlsKey, "tls-key", "", "TLS private key (PEM)")
	f.StringVar(&token, "token", "", "require 'Authorization: Bearer TOKEN' (default $RESNET_SERVE_TOKEN); health checks and / are exempt")
	f.BoolVar(&pprof, "pprof", false, "serve net/http/pprof under /debug/pprof/")
	f.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&cacheDir, "cache-dir", "", "weights cache (default $RESNET_CACHE, else $XDG_CACHE_HOME/resnet or ~/.cache/resnet)")
	f.StringVar(&baseURL, "base-url", "", "mirror to download --model weights from (default $RESNET_HUB_URL)")
	f.BoolVar(&offline, "offline", false, "never download; use only cached weights (also RESNET_OFFLINE=1)")
	f.BoolVar(&useEngine, "engine", true, "run the compiled inference engine (false: the layer-by-layer reference path)")
	prec.register(f)
	return cmd
}

// splitServeAlias splits "NAME=ALIAS" at its last '='.
func splitServeAlias(s string) (name, alias string) {
	if i := strings.LastIndexByte(s, '='); i > 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// serveRandomClassifier is a random-init network with the eval transform its
// architecture expects: 32×32 for the CIFAR nets, ImageNet's otherwise; on
// the engine unless o (at most one) says otherwise.
func serveRandomClassifier(arch string, o ...classify.Options) (*classify.Classifier, error) {
	m, err := models.New(arch, models.Options{})
	if err != nil {
		return nil, err
	}
	t := imageio.ImageNetEval()
	if m.Config.InputSize == 32 {
		t = imageio.Transform{Resize: 36, Crop: 32, Mean: imageio.ImageNetMean, Std: imageio.ImageNetStd, Filter: imageio.Bilinear}
	}
	var opts classify.Options
	if len(o) > 0 {
		opts = o[len(o)-1]
	}
	c, err := classify.New(m, opts)
	if err != nil {
		return nil, err
	}
	c.Transform = t
	return c, nil
}

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// runHubCmd runs a download or cache command with isolated caches.
func runHubCmd(t *testing.T, cmd *cobra.Command, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func hubTestEnv(t *testing.T) (cache, torch string) {
	cache, torch = filepath.Join(t.TempDir(), "cache"), t.TempDir()
	t.Setenv("RESNET_CACHE", cache)
	t.Setenv("TORCH_HOME", torch)
	t.Setenv("RESNET_OFFLINE", "")
	t.Setenv("RESNET_HUB_URL", "")
	return cache, torch
}

func TestDownloadCmd(t *testing.T) {
	cache, _ := hubTestEnv(t)
	if _, _, err := runHubCmd(t, newDownloadCmd(), "resnt50"); err == nil || !strings.Contains(err.Error(), `did you mean "resnet50"`) {
		t.Errorf("unknown name: err = %v", err)
	}
	_, stderr, err := runHubCmd(t, newDownloadCmd(), "--offline", "resnet50")
	if err == nil || !strings.Contains(stderr, "resnet50-0676ba61.pth") || !strings.Contains(stderr, cache) {
		t.Errorf("offline: err = %v, stderr:\n%s", err, stderr)
	}
	// A mirror directory holding the wrong bytes: rejected, nothing cached.
	mirror := t.TempDir()
	os.WriteFile(filepath.Join(mirror, "resnet18-f37072fd.pth"), []byte("wrong"), 0o644)
	stdout, stderr, err := runHubCmd(t, newDownloadCmd(), "--base-url", mirror, "--cache-dir", cache, "resnet18")
	if err == nil || stdout != "" || !strings.Contains(stderr, "does not start with f37072fd") || !strings.Contains(stderr, "BSD-3-Clause") {
		t.Errorf("bad mirror file: err = %v, stdout %q, stderr:\n%s", err, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(cache, "resnet18-f37072fd.pth")); err == nil {
		t.Error("a file with the wrong hash was cached")
	}
}

func TestCacheCmd(t *testing.T) {
	cache, torch := hubTestEnv(t)
	stdout, _, err := runHubCmd(t, newCacheCmd(), "ls")
	if err != nil || !strings.Contains(stdout, "no weights") {
		t.Errorf("ls of an empty cache: %v, %q", err, stdout)
	}
	os.MkdirAll(cache, 0o755)
	os.WriteFile(filepath.Join(cache, "resnet50-0676ba61.pth.partial"), []byte("part"), 0o644)
	tdir := filepath.Join(torch, "hub", "checkpoints")
	os.MkdirAll(tdir, 0o755)
	os.WriteFile(filepath.Join(tdir, "resnet18-f37072fd.pth"), []byte("torch"), 0o644)

	stdout, _, err = runHubCmd(t, newCacheCmd(), "ls")
	if err != nil || !strings.Contains(stdout, "resnet50") || !strings.Contains(stdout, "partial") ||
		!strings.Contains(stdout, "resnet18") || !strings.Contains(stdout, "torch") {
		t.Errorf("ls: %v\n%s", err, stdout)
	}
	if _, _, err := runHubCmd(t, newCacheCmd(), "rm"); err == nil {
		t.Error("rm without names or --all succeeded")
	}
	stdout, stderr, err := runHubCmd(t, newCacheCmd(), "rm", "--all")
	if err != nil || !strings.Contains(stdout, "removed") || !strings.Contains(stderr, "kept") {
		t.Errorf("rm --all: %v, %q, %q", err, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(tdir, "resnet18-f37072fd.pth")); err != nil {
		t.Error("rm --all deleted a file in PyTorch's cache")
	}
}

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/resnetgo/resnet/hub"
	"github.com/spf13/cobra"
)

// hubFlags are the flags shared by download and cache: where the cache is
// and where files come from. Empty values fall back to the environment
// (RESNET_CACHE, RESNET_HUB_URL, RESNET_OFFLINE, TORCH_HOME).
type hubFlags struct {
	cacheDir string
	baseURL  string
	offline  bool
}

func (f *hubFlags) register(cmd *cobra.Command, download bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.cacheDir, "cache-dir", "", "weights cache (default $RESNET_CACHE, else $XDG_CACHE_HOME/resnet or ~/.cache/resnet)")
	if download {
		fl.StringVar(&f.baseURL, "base-url", "", "mirror to download from instead of download.pytorch.org: an http(s) or file:// address or a directory (default $RESNET_HUB_URL)")
		fl.BoolVar(&f.offline, "offline", false, "never download; only check what is cached (also RESNET_OFFLINE=1)")
	}
}

// client returns a hub client that logs to stderr and draws a progress bar
// there when stderr is a terminal.
func (f *hubFlags) client(stderr io.Writer) *hub.Client {
	c := &hub.Client{CacheDir: f.cacheDir, BaseURL: f.baseURL, Offline: f.offline, Log: stderr}
	if isTerminal(stderr) {
		c.Progress = stderr
	}
	return c
}

// isTerminal reports whether w is a character device (a terminal), so
// progress bars do not end up in log files and pipes.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

func newDownloadCmd() *cobra.Command {
	var f hubFlags
	cmd := &cobra.Command{
		Use:   "download NAME...",
		Short: "Download pretrained weights into the cache and verify them",
		Long: `Download pretrained weights by name into the cache, checking the SHA-256
prefix in the file name, and print the path of each file.

A file already in the cache, or in PyTorch's ($TORCH_HOME/hub/checkpoints),
is not downloaded again. An interrupted download resumes where it stopped.
"resnet50" is torchvision's V1 file (as pretrained=True), "resnet50:v2" its
V2 file; see 'resnet models' for the list. Licences differ: torchvision's
weights are BSD-3-Clause, the WSL ones CC-BY-NC 4.0 (non-commercial).

Names: ` + strings.Join(hub.Names(), ", "),
		Example: `  resnet download resnet50 resnext101_32x8d_wsl
  RESNET_HUB_URL=https://mirror.example/models resnet download resnet18
  resnet download --offline resnet50    # is it cached? (exit status 1 if not)`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Check every name before downloading anything.
			for _, name := range args {
				if _, err := hub.Lookup(name); err != nil {
					return err
				}
			}
			c := f.client(cmd.ErrOrStderr())
			var failed []string
			for _, name := range args {
				p, err := c.Fetch(cmd.Context(), name)
				if err != nil {
					if cmd.Context().Err() != nil {
						return err
					}
					fmt.Fprintln(cmd.ErrOrStderr(), "resnet:", err)
					failed = append(failed, name)
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), p)
			}
			if len(failed) > 0 {
				return errors.New("download failed: " + strings.Join(failed, ", "))
			}
			return nil
		},
	}
	f.register(cmd, true)
	return cmd
}

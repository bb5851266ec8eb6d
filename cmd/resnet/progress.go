package main

import (
	"io"

	"github.com/schollz/progressbar/v3"
)

// imageBar returns a progress bar of n images on w, or nil when w is not
// a terminal.
func imageBar(w io.Writer, n int, desc string) *progressbar.ProgressBar {
	if !isTerminal(w) {
		return nil
	}
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("img"), progressbar.OptionClearOnFinish())
}

package hub

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Where a cached file lives.
const (
	InCache = "cache" // the client's cache directory
	InTorch = "torch" // PyTorch's checkpoint directory (never modified)
)

// CachedFile is one weights file on disk.
type CachedFile struct {
	Name     string // hub name; "" for a file the table does not know
	File     string // base name
	Path     string
	Location string // InCache or InTorch
	Size     int64
	ModTime  time.Time
	Partial  bool // an interrupted download (NAME.partial)
	Verified bool // its SHA-256 was checked since it last changed, and matches
	Corrupt  bool // its SHA-256 was checked since it last changed, and does not match
}

func (c *Client) setChecked(f *CachedFile, prefix string) {
	known, good := c.checked(f.Path, prefix)
	f.Verified, f.Corrupt = good, known && !good
}

// List returns the weights files in the cache directory (complete, partial,
// and unknown .pth files) and the table's files found in PyTorch's cache,
// ordered by location, then table order, then file name.
func (c *Client) List() ([]CachedFile, error) {
	dir, err := c.Dir()
	if err != nil {
		return nil, err
	}
	byFile := map[string]int{}
	for i := range entries {
		byFile[entries[i].FileName()] = i
	}
	var out []CachedFile
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("hub: %w", err)
	}
	for _, de := range ents {
		n := de.Name()
		base, partial := strings.CutSuffix(n, ".partial")
		if !de.Type().IsRegular() || strings.HasPrefix(n, ".") || !strings.HasSuffix(base, ".pth") {
			continue
		}
		st, err := de.Info()
		if err != nil {
			continue
		}
		f := CachedFile{File: base, Path: filepath.Join(dir, n), Location: InCache,
			Size: st.Size(), ModTime: st.ModTime(), Partial: partial}
		if i, ok := byFile[base]; ok {
			f.Name = entries[i].Name
			if !partial {
				c.setChecked(&f, entries[i].SHA256Prefix)
			}
		}
		out = append(out, f)
	}
	if td := c.TorchDir(); td != "" && filepath.Clean(td) != filepath.Clean(dir) {
		for i := range entries {
			p := filepath.Join(td, entries[i].FileName())
			st, err := os.Stat(p)
			if err != nil || !st.Mode().IsRegular() {
				continue
			}
			f := CachedFile{Name: entries[i].Name, File: entries[i].FileName(), Path: p, Location: InTorch,
				Size: st.Size(), ModTime: st.ModTime()}
			c.setChecked(&f, entries[i].SHA256Prefix)
			out = append(out, f)
		}
	}
	order := func(f CachedFile) int {
		if i, ok := byFile[f.File]; ok {
			return i
		}
		return len(entries)
	}
	slices.SortStableFunc(out, func(a, b CachedFile) int {
		if a.Location != b.Location {
			return strings.Compare(a.Location, b.Location)
		}
		if d := order(a) - order(b); d != 0 {
			return d
		}
		return strings.Compare(a.Path, b.Path)
	})
	return out, nil
}

// Remove deletes the named weights from the cache directory: the file, an
// interrupted download and the verification marker. It checks every name
// before deleting anything, waits for a download of the same file in
// progress, and never touches PyTorch's cache. A name that is not cached is
// not an error.
func (c *Client) Remove(names ...string) error {
	var es []Entry
	for _, n := range names {
		e, err := Lookup(n)
		if err != nil {
			return err
		}
		es = append(es, e)
	}
	dir, err := c.Dir()
	if err != nil {
		return err
	}
	for _, e := range es {
		if err := c.removeLocked(dir, e.FileName()); err != nil {
			return err
		}
	}
	return nil
}

// RemoveAll deletes every weights file, partial download and marker in the
// cache directory, the table's or not. PyTorch's cache is left alone.
func (c *Client) RemoveAll() error {
	dir, err := c.Dir()
	if err != nil {
		return err
	}
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	for _, de := range ents {
		base, _ := strings.CutSuffix(de.Name(), ".partial")
		if de.Type().IsRegular() && !strings.HasPrefix(base, ".") && strings.HasSuffix(base, ".pth") {
			if err := c.removeLocked(dir, base); err != nil {
				return err
			}
		}
	}
	// Markers of files elsewhere (PyTorch's cache) are only a cache too.
	os.RemoveAll(filepath.Join(dir, markerDir))
	return nil
}

func (c *Client) removeLocked(dir, file string) error {
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		return nil
	}
	unlock, err := c.lock(context.Background(), dir, file)
	if err != nil {
		return err
	}
	defer unlock()
	p := filepath.Join(dir, file)
	if err := removeFile(p, dir); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	if err := os.Remove(p + ".partial"); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("hub: %w", err)
	}
	return nil
}

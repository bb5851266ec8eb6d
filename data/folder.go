package data

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/resnetgo/resnet/imageio"
)

// IMGExtensions returns the file extensions torchvision's ImageFolder accepts
// (IMG_EXTENSIONS), compared case-insensitively. PPM and PGM files are
// listed, as torchvision lists them, but imageio cannot decode them: a
// Loader counts them as skipped.
func IMGExtensions() []string {
	return []string{".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"}
}

// Sample is one file of an ImageFolder and its class index.
type Sample struct {
	Path  string
	Label int
}

// ImageFolder is torchvision's datasets.ImageFolder: Root holds one
// sub-directory per class; the sorted directory names are the classes,
// numbered from 0; the images of each class are found recursively. As a
// Dataset it decodes Samples[i] with Decode options and applies Transform,
// whose steps must fix the output size.
type ImageFolder struct {
	Root      string
	Classes   []string
	Samples   []Sample
	Transform Transform
	Decode    imageio.Options
}

// OpenImageFolder lists root as torchvision's ImageFolder(root) does:
// classes are the sorted names of root's sub-directories (symbolic links to
// directories included); each class directory is walked following links,
// the directories in sorted path order (torchvision sorts os.walk's
// output) and the files of each in sorted order, keeping names that end in
// one of IMGExtensions. It fails if root has no class directory, or, naming
// them, if some class has no image (torchvision's FileNotFoundError).
// Unreadable sub-directories below a class are skipped, as os.walk skips
// them.
func OpenImageFolder(root string) (*ImageFolder, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("data: ImageFolder: %w", err)
	}
	var classes []string
	for _, e := range entries {
		if isDir(filepath.Join(root, e.Name()), e) {
			classes = append(classes, e.Name())
		}
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("data: ImageFolder: couldn't find any class folder in %s", root)
	}
	slices.Sort(classes)
	f := &ImageFolder{Root: root, Classes: classes}
	var empty []string
	for label, c := range classes {
		n := len(f.Samples)
		for _, dir := range walkDirs(filepath.Join(root, c)) {
			entries, err := os.ReadDir(dir)
			if err != nil && len(entries) == 0 {
				continue
			}
			var names []string
			for _, e := range entries {
				if !isDir(filepath.Join(dir, e.Name()), e) && HasImageExtension(e.Name()) {
					names = append(names, e.Name())
				}
			}
			slices.Sort(names)
			for _, name := range names {
				f.Samples = append(f.Samples, Sample{Path: filepath.Join(dir, name), Label: label})
			}
		}
		if len(f.Samples) == n {
			empty = append(empty, c)
		}
	}
	if len(empty) > 0 {
		return nil, fmt.Errorf("data: ImageFolder %s: found no valid file for the classes %s (supported extensions are %s)",
			root, strings.Join(empty, ", "), strings.Join(IMGExtensions(), ", "))
	}
	return f, nil
}

// HasImageExtension reports whether name ends in one of IMGExtensions,
// ignoring case.
func HasImageExtension(name string) bool {
	lower := strings.ToLower(name)
	for _, ext := range IMGExtensions() {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// isDir is os.DirEntry.is_dir() in Python: true for directories and for
// links to them.
func isDir(path string, e fs.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink != 0 {
		st, err := os.Stat(path)
		return err == nil && st.IsDir()
	}
	return false
}

// walkDirs returns top and every directory below it, following links to
// directories (os.walk(followlinks=True)) but never entering a directory
// twice on one path (a link loop), sorted by path as sorted(os.walk(top))
// orders them.
func walkDirs(top string) []string {
	var out []string
	var visit func(dir string, seen []string)
	visit = func(dir string, seen []string) {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil || slices.Contains(seen, real) {
			return
		}
		out = append(out, dir)
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			if isDir(p, e) {
				visit(p, append(seen, real))
			}
		}
	}
	visit(top, nil)
	slices.Sort(out)
	return out
}

package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Hashing a 3.3 GB file takes seconds, so a successful (or failed) check is
// remembered in CacheDir/.verified/KEY: "SHA256 SIZE MTIME_NS\nPATH\n". A
// file whose size or modification time changed is hashed again.

const markerDir = ".verified"

// markerPath names the marker of file p. Files in the cache directory use
// their base name; others (PyTorch's cache) a hash of their absolute path.
func markerPath(dir, p string) string {
	if filepath.Dir(p) == filepath.Clean(dir) {
		return filepath.Join(dir, markerDir, filepath.Base(p))
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = p
	}
	h := sha256.Sum256([]byte(abs))
	return filepath.Join(dir, markerDir, "ext-"+hex.EncodeToString(h[:6])+"-"+filepath.Base(p))
}

func markerLine(st fs.FileInfo, sum string) string {
	return fmt.Sprintf("%s %d %d", sum, st.Size(), st.ModTime().UnixNano())
}

// readMarker returns the remembered SHA-256 of p if its marker matches st.
func readMarker(dir, p string, st fs.FileInfo) (string, bool) {
	b, err := os.ReadFile(markerPath(dir, p))
	if err != nil {
		return "", false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	sum, _, ok := strings.Cut(line, " ")
	if !ok || len(sum) != 64 {
		return "", false
	}
	if line != markerLine(st, sum) {
		return "", false
	}
	return sum, true
}

// writeMarker records sum for p, atomically; failures (a read-only cache)
// only cost a re-hash next time.
func writeMarker(dir, p string, st fs.FileInfo, sum string) {
	mp := markerPath(dir, p)
	if err := os.MkdirAll(filepath.Dir(mp), 0o755); err != nil {
		return
	}
	abs, _ := filepath.Abs(p)
	tmp, err := os.CreateTemp(filepath.Dir(mp), ".tmp-*")
	if err != nil {
		return
	}
	_, err = fmt.Fprintf(tmp, "%s\n%s\n", markerLine(st, sum), abs)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil || os.Rename(tmp.Name(), mp) != nil {
		os.Remove(tmp.Name())
	}
}

// checked reports, without hashing, whether p has a current marker
// (known) and whether the hash it records starts with prefix (good).
func (c *Client) checked(p, prefix string) (known, good bool) {
	st, err := os.Stat(p)
	if err != nil {
		return false, false
	}
	dir, err := c.Dir()
	if err != nil {
		return false, false
	}
	sum, ok := readMarker(dir, p, st)
	return ok, ok && strings.HasPrefix(sum, strings.ToLower(prefix))
}

func (c *Client) verified(p, prefix string) bool {
	_, good := c.checked(p, prefix)
	return good
}

// verifyCached reports whether the file at p exists and has e's hash
// prefix, hashing it unless a current marker says so already. Only a
// cancelled context is an error; an unreadable file is simply not usable.
func (c *Client) verifyCached(ctx context.Context, p string, e *Entry) (bool, error) {
	st, err := os.Stat(p)
	if err != nil || !st.Mode().IsRegular() {
		return false, nil
	}
	dir, err := c.Dir()
	if err != nil {
		return false, err
	}
	want := strings.ToLower(e.SHA256Prefix)
	if sum, ok := readMarker(dir, p, st); ok {
		return strings.HasPrefix(sum, want), nil
	}
	c.logf("hub: checking the SHA-256 of %s (%s), once", p, humanBytes(st.Size()))
	sum, err := hashFile(ctx, p)
	if err != nil {
		if ctx.Err() != nil {
			return false, fmt.Errorf("hub: %s: %w", e.Name, ctx.Err())
		}
		c.logf("hub: cannot read %s: %v", p, err)
		return false, nil
	}
	writeMarker(dir, p, st, sum)
	return strings.HasPrefix(sum, want), nil
}

func hashFile(ctx context.Context, p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ctxReader stops a long read when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// removeFile deletes a cached file and its marker.
func removeFile(p, dir string) error {
	err := os.Remove(p)
	os.Remove(markerPath(dir, p))
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

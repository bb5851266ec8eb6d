package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
)

// A Client fetches weights files into a local cache. Its zero value is ready
// to use: every empty field takes its default from the environment. A
// Client may be used by several goroutines at once if its Progress and Log
// writers may.
type Client struct {
	// CacheDir holds downloaded files. Default: $RESNET_CACHE, else
	// $XDG_CACHE_HOME/resnet, else ~/.cache/resnet.
	CacheDir string
	// TorchHome is PyTorch's cache root; files are looked for, read-only, in
	// TorchHome/hub/checkpoints. Default: $TORCH_HOME, else
	// $XDG_CACHE_HOME/torch, else ~/.cache/torch (as torch.hub).
	TorchHome string
	// BaseURL replaces the directory part of every official address, for
	// mirrors: BaseURL + "/" + file name. An http(s) or file:// address.
	// Default: $RESNET_HUB_URL, else the official addresses.
	BaseURL string
	// Offline forbids downloads: Fetch only finds cached files.
	// RESNET_OFFLINE=1 (or true) also turns it on.
	Offline bool
	// Progress receives a progress bar (bytes, rate, ETA) while
	// downloading. Set it to a terminal, typically os.Stderr when that is
	// one; nil draws nothing.
	Progress io.Writer
	// Log receives one-line notes: what is downloaded from where, under
	// which licence, resumed or restarted transfers. nil discards them.
	Log io.Writer
	// HTTPClient makes the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// Errors a Fetch may wrap; test for them with errors.Is.
var (
	// ErrOffline: the file is not cached and downloads are off.
	ErrOffline = errors.New("hub: not cached and offline")
	// ErrChecksum: a file's SHA-256 does not start with the prefix in its name.
	ErrChecksum = errors.New("hub: SHA-256 mismatch")
	// ErrTooLarge: the server sent (or announced) far more bytes than the
	// file has (Entry.ApproxSize): a wrong address or a hostile mirror,
	// stopped before it fills the disk.
	ErrTooLarge = errors.New("hub: more data than the file has")
)

// maxBytes is the most bytes e's file may take before a download is
// stopped (ErrTooLarge): well past its approximate size, 0 for no bound.
func maxBytes(e *Entry) int64 {
	if e.ApproxSize <= 0 {
		return 0
	}
	return e.ApproxSize + e.ApproxSize/4 + 64<<20
}

// ChecksumError reports a file whose SHA-256 does not start with the prefix
// its name carries. Fetch deletes such a download.
type ChecksumError struct {
	Name string // hub name
	URL  string // where the bytes came from ("" for a cached file)
	Path string // the file checked
	Want string // expected prefix
	Got  string // full SHA-256 of what was received
}

func (e *ChecksumError) Error() string {
	src := e.Path
	if e.URL != "" {
		src = e.URL
	}
	return fmt.Sprintf("hub: %s: SHA-256 of %s is %s, which does not start with %s; the file was deleted",
		e.Name, src, e.Got, e.Want)
}

func (e *ChecksumError) Unwrap() error { return ErrChecksum }

// HTTPError reports a response other than 200 or 206.
type HTTPError struct {
	URL        string
	StatusCode int
	Status     string
}

func (e *HTTPError) Error() string { return fmt.Sprintf("hub: GET %s: %s", e.URL, e.Status) }

// temporary reports whether trying again later may help.
func (e *HTTPError) temporary() bool {
	return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusRequestTimeout
}

// Dir returns the cache directory the client uses.
func (c *Client) Dir() (string, error) {
	if c.CacheDir != "" {
		return c.CacheDir, nil
	}
	if d := os.Getenv("RESNET_CACHE"); d != "" {
		return d, nil
	}
	base, err := xdgCache()
	if err != nil {
		return "", fmt.Errorf("hub: no cache directory (set RESNET_CACHE): %w", err)
	}
	return filepath.Join(base, "resnet"), nil
}

// TorchDir returns PyTorch's checkpoint directory, TorchHome/hub/checkpoints,
// or "" if there is no home directory to derive it from.
func (c *Client) TorchDir() string {
	home := c.TorchHome
	if home == "" {
		home = os.Getenv("TORCH_HOME")
	}
	if home == "" {
		base, err := xdgCache()
		if err != nil {
			return ""
		}
		home = filepath.Join(base, "torch")
	}
	return filepath.Join(home, "hub", "checkpoints")
}

// xdgCache is $XDG_CACHE_HOME, else ~/.cache, on every platform, as PyTorch does.
func xdgCache() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".cache"), nil
}

func (c *Client) offline() bool {
	if c.Offline {
		return true
	}
	v := strings.ToLower(os.Getenv("RESNET_OFFLINE"))
	return v == "1" || v == "true" || v == "yes" || v == "on"
}

// URL returns the address the client downloads e from.
func (c *Client) URL(e *Entry) string {
	base := c.BaseURL
	if base == "" {
		base = os.Getenv("RESNET_HUB_URL")
	}
	if base == "" {
		return e.URL
	}
	if filepath.IsAbs(base) && !strings.Contains(base, "://") {
		base = (&url.URL{Scheme: "file", Path: filepath.ToSlash(base)}).String()
	}
	return strings.TrimRight(base, "/") + "/" + e.FileName()
}

func (c *Client) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// Fetch returns the path of a verified local copy of the weights called
// name, downloading it if neither this client's cache nor PyTorch's holds
// one. The path may be inside PyTorch's cache; treat it as read-only.
func (c *Client) Fetch(ctx context.Context, name string) (string, error) {
	e, err := Lookup(name)
	if err != nil {
		return "", err
	}
	return c.FetchEntry(ctx, e)
}

// FetchEntry is Fetch for an entry that need not be in the table (a private
// mirror's file, say). e.URL's file name must carry the SHA-256 prefix in
// e.SHA256Prefix; e.Name is used in messages only.
func (c *Client) FetchEntry(ctx context.Context, e Entry) (string, error) {
	if len(e.SHA256Prefix) < 8 || !isHex(e.SHA256Prefix) {
		return "", fmt.Errorf("hub: %s: SHA-256 prefix %q is not at least 8 hex digits", e.Name, e.SHA256Prefix)
	}
	dir, err := c.Dir()
	if err != nil {
		return "", err
	}
	final := filepath.Join(dir, e.FileName())
	torch := ""
	if td := c.TorchDir(); td != "" {
		torch = filepath.Join(td, e.FileName())
	}

	// Fast path, no lock: a file already checked, or checked now.
	var looked []string // for the offline error: each place and what was there
	for _, p := range []string{final, torch} {
		if p == "" {
			continue
		}
		ok, err := c.verifyCached(ctx, p, &e)
		if err != nil {
			return "", err
		}
		if ok {
			return p, nil
		}
		if !exists(p) {
			looked = append(looked, p+" (not there)")
			continue
		}
		looked = append(looked, p+" (fails its SHA-256 check)")
		if p != final {
			c.logf("hub: ignoring %s: its SHA-256 does not start with %s", p, e.SHA256Prefix)
		}
	}
	if c.offline() {
		return "", fmt.Errorf("%w: no good copy of %s (%s): looked at %s; %s, or turn offline mode off",
			ErrOffline, e.Name, e.FileName(), strings.Join(looked, " and "), byHand(&e, dir))
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("hub: %w", err)
	}
	unlock, err := c.lock(ctx, dir, e.FileName())
	if err != nil {
		return "", err
	}
	defer unlock()

	// Another process may have finished while we waited; or our copy is bad.
	if exists(final) {
		ok, err := c.verifyCached(ctx, final, &e)
		if err != nil {
			return "", err
		}
		if ok {
			return final, nil
		}
		c.logf("hub: %s fails its SHA-256 check; downloading it again", final)
		removeFile(final, dir)
	}
	if err := c.download(ctx, &e, dir, final); err != nil {
		return "", err
	}
	return final, nil
}

// Retry policy for transient failures: a cut connection, a 5xx.
var (
	maxAttempts = 5
	retryDelay  = func(attempt int) time.Duration { return time.Duration(1<<attempt) * time.Second }
)

// download fetches e into final through final+".partial". The caller holds the lock.
func (c *Client) download(ctx context.Context, e *Entry, dir, final string) error {
	src := c.URL(e)
	if u, err := url.Parse(src); err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") {
		return fmt.Errorf("hub: %s: cannot download from %q: want an http, https or file address", e.Name, src)
	}
	c.logf("hub: downloading %s (%s, about %s) from %s", e.Name, e.FileName(), humanBytes(e.ApproxSize), src)
	switch e.License {
	case CCBYNC4:
		c.logf("hub: licence: %s: the WSL-Images weights are for non-commercial use only (https://creativecommons.org/licenses/by-nc/4.0/)", e.License)
	case "":
	default:
		c.logf("hub: licence: %s", e.License)
	}

	d, err := openPartial(final + ".partial")
	if err != nil {
		return err
	}
	defer d.close()
	if d.n > 0 {
		c.logf("hub: resuming %s at %s", e.FileName(), humanBytes(d.n))
	}

	freshTried := d.n == 0 // a mismatch after a resume earns one clean retry
	for attempt := 0; ; attempt++ {
		err = c.transfer(ctx, e, src, d)
		if err == nil {
			got := hex.EncodeToString(d.h.Sum(nil))
			if strings.HasPrefix(got, strings.ToLower(e.SHA256Prefix)) {
				break
			}
			if !freshTried {
				freshTried = true
				c.logf("hub: %s: resumed file fails its SHA-256 check; starting over", e.FileName())
				if err = d.restart(); err != nil {
					return err
				}
				continue
			}
			d.close()
			os.Remove(d.path)
			return &ChecksumError{Name: e.Name, URL: src, Path: final, Want: e.SHA256Prefix, Got: got}
		}
		if ctx.Err() != nil {
			return d.cancelled(e, ctx.Err())
		}
		if !retryable(err) || attempt+1 >= maxAttempts {
			if d.n == 0 || errors.Is(err, ErrTooLarge) {
				d.close()
				os.Remove(d.path)
			}
			if ue := (*url.Error)(nil); errors.As(err, &ue) {
				// No answer at all (an HTTPError is an answer): most
				// often a machine without network.
				return fmt.Errorf("%w (no network? %s, or point RESNET_HUB_URL at a mirror)", err, byHand(e, dir))
			}
			return err
		}
		wait := retryDelay(attempt)
		c.logf("%v; retrying in %v", err, wait) // err says "hub: " already
		select {
		case <-ctx.Done():
			return d.cancelled(e, ctx.Err())
		case <-time.After(wait):
		}
	}

	if err := d.f.Sync(); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	if err := d.close(); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	if err := os.Rename(d.path, final); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	syncDir(dir)
	if st, err := os.Stat(final); err == nil {
		writeMarker(dir, final, st, hex.EncodeToString(d.h.Sum(nil)))
	}
	return nil
}

// byHand says how to put e into the cache dir without this client.
func byHand(e *Entry, dir string) string {
	return fmt.Sprintf("download it where there is network (resnet download %s) and copy %s into %s", e.Name, e.FileName(), dir)
}

// retryable reports whether a failed transfer may succeed if tried again:
// what the network did (a cut connection, a 5xx, a timeout), not a 404, a
// full disk, an oversized answer, or a host name the resolver says does
// not exist (a machine without network; retrying would only wait).
func retryable(err error) bool {
	var he *HTTPError
	var pe *fs.PathError
	var de *net.DNSError
	switch {
	case errors.As(err, &pe), errors.Is(err, ErrTooLarge):
		return false
	case errors.As(err, &he):
		return he.temporary()
	case errors.As(err, &de):
		return !de.IsNotFound
	}
	return true
}

// transfer makes one request for the bytes d lacks and appends them.
// It returns nil when the response body ended where it said it would.
func (c *Client) transfer(ctx context.Context, e *Entry, src string, d *partial) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	req.Header.Set("User-Agent", "resnetgo-hub/1")
	if d.n > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", d.n))
	}
	resp, err := c.client(req.URL).Do(req)
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	defer resp.Body.Close()

	switch resp.StatusCode {
	case http.StatusOK:
		if d.n > 0 {
			c.logf("hub: %s ignored the range request; restarting %s", req.URL.Host, e.FileName())
			if err := d.restart(); err != nil {
				return err
			}
		}
	case http.StatusPartialContent:
		start, ok := contentRangeStart(resp.Header.Get("Content-Range"))
		if !ok || start != d.n {
			// Not the bytes we asked for: start over rather than splice.
			if err := d.restart(); err != nil {
				return err
			}
			return fmt.Errorf("hub: GET %s: unexpected Content-Range %q for offset %d", src, resp.Header.Get("Content-Range"), d.n)
		}
	case http.StatusRequestedRangeNotSatisfiable:
		if d.n > 0 {
			// The partial file may already be whole; the hash will tell.
			return nil
		}
		fallthrough
	default:
		return &HTTPError{URL: src, StatusCode: resp.StatusCode, Status: resp.Status}
	}

	var w io.Writer = d
	if c.Progress != nil {
		total := resp.ContentLength // bytes still to come
		desc := e.FileName()
		if d.n > 0 {
			desc += " (resumed)"
		}
		bar := progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(c.Progress),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowTotalBytes(true),
			progressbar.OptionSetWidth(20),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSpinnerType(14),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(c.Progress) }),
			progressbar.OptionSetRenderBlankState(true),
		)
		defer bar.Exit()
		w = io.MultiWriter(d, bar)
	}
	var body io.Reader = resp.Body
	most := maxBytes(e)
	if most > 0 {
		if resp.ContentLength >= 0 && d.n+resp.ContentLength > most {
			return fmt.Errorf("hub: GET %s: %w: %s offered, %s is about %s", src, ErrTooLarge, humanBytes(d.n+resp.ContentLength), e.FileName(), humanBytes(e.ApproxSize))
		}
		body = io.LimitReader(resp.Body, most-d.n+1)
	}
	n, err := io.Copy(w, body)
	if err != nil {
		return fmt.Errorf("hub: GET %s: %w after %s", src, err, humanBytes(n))
	}
	if most > 0 && d.n > most {
		return fmt.Errorf("hub: GET %s: %w: more than %s sent, %s is about %s", src, ErrTooLarge, humanBytes(most), e.FileName(), humanBytes(e.ApproxSize))
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("hub: GET %s: %w: %d of %d bytes", src, io.ErrUnexpectedEOF, n, resp.ContentLength)
	}
	return nil
}

func (c *Client) client(u *url.URL) *http.Client {
	if u.Scheme == "file" {
		// Mirrors on a local or network file system; ServeContent handles Range.
		return &http.Client{Transport: http.NewFileTransport(http.Dir("/"))}
	}
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return http.DefaultClient
}

// contentRangeStart parses the first byte position of "bytes a-b/n".
func contentRangeStart(s string) (int64, bool) {
	s, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, false
	}
	a, _, ok := strings.Cut(s, "-")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(a, 10, 64)
	return v, err == nil
}

// partial is a .partial download file and the hash of what it holds so far.
type partial struct {
	path string
	f    *os.File
	h    hashState
	n    int64
}

type hashState interface {
	io.Writer
	Sum([]byte) []byte
	Reset()
}

// openPartial opens or creates path and hashes what is already there.
func openPartial(path string) (*partial, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	d := &partial{path: path, f: f, h: sha256.New()}
	n, err := io.Copy(d.h, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("hub: reading %s: %w", path, err)
	}
	d.n = n
	return d, nil
}

func (d *partial) Write(p []byte) (int, error) {
	n, err := d.f.Write(p)
	d.h.Write(p[:n])
	d.n += int64(n)
	return n, err
}

func (d *partial) restart() error {
	if err := d.f.Truncate(0); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	if _, err := d.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	d.h.Reset()
	d.n = 0
	return nil
}

// cancelled closes d and reports err, keeping a non-empty partial file for
// the next Fetch to resume.
func (d *partial) cancelled(e *Entry, err error) error {
	d.close()
	if d.n == 0 {
		os.Remove(d.path)
		return fmt.Errorf("hub: %s: %w", e.Name, err)
	}
	return fmt.Errorf("hub: %s: %w (%s kept in %s, to resume)", e.Name, err, humanBytes(d.n), d.path)
}

func (d *partial) close() error {
	if d.f == nil {
		return nil
	}
	err := d.f.Close()
	d.f = nil
	return err
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

// humanBytes formats n in decimal units, as the progress bar does.
func humanBytes(n int64) string {
	if n <= 0 {
		return "? B"
	}
	units := []string{"B", "kB", "MB", "GB", "TB"}
	v, i := float64(n), 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

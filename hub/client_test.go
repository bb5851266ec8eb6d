package hub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// A helper process for TestFetchTwoProcesses.
	if os.Getenv("HUB_TEST_HELPER") == "1" {
		helperProcess()
		return
	}
	retryDelay = func(int) time.Duration { return 0 }
	lockPoll = 5 * time.Millisecond
	// The tests' clients must not see the developer's caches.
	for _, k := range []string{"RESNET_CACHE", "RESNET_OFFLINE", "RESNET_HUB_URL", "TORCH_HOME"} {
		os.Unsetenv(k)
	}
	os.Setenv("XDG_CACHE_HOME", filepath.Join(os.TempDir(), "hub-test-no-such-cache"))
	os.Exit(m.Run())
}

// fakeCheckpoint returns n pseudo-random bytes and the entry of a file with
// those bytes under an official-style name (resnet18-<sha256 prefix>.pth).
func fakeCheckpoint(seed uint64, n int) ([]byte, Entry) {
	r := rand.New(rand.NewPCG(seed, 1))
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	sum := sha256.Sum256(data)
	prefix := hex.EncodeToString(sum[:])[:8]
	return data, Entry{
		Name:         "fake18",
		Arch:         "resnet18",
		URL:          "https://download.pytorch.org/models/resnet18-" + prefix + ".pth",
		SHA256Prefix: prefix,
		ApproxSize:   int64(n),
		License:      BSD3,
	}
}

// server serves files under /models/, honouring Range unless told not to,
// and can cut responses short or answer with an error status.
type server struct {
	*httptest.Server
	files map[string][]byte

	mu          sync.Mutex
	ranges      []string // the Range header of every GET ("" for none)
	cuts        int      // cut the next cuts responses ...
	cutAfter    int      // ... after this many body bytes
	ignoreRange bool
	status      int           // answer every request with this status if non-zero
	chunkDelay  time.Duration // pause between 64 KiB chunks
	started     chan struct{} // closed when a body has begun (if non-nil)
}

func newServer(t *testing.T, files map[string][]byte) *server {
	s := &server{files: files}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// set changes the server's behaviour under its lock.
func (s *server) set(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func (s *server) base() string { return s.URL + "/models" }

func (s *server) gets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...)
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	status, ignore, delay := s.status, s.ignoreRange, s.chunkDelay
	cut := -1
	if s.cuts > 0 {
		s.cuts--
		cut = s.cutAfter
	}
	started := s.started
	s.started = nil
	s.mu.Unlock()

	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	data, ok := s.files[strings.TrimPrefix(r.URL.Path, "/models/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	start := 0
	if rg := r.Header.Get("Range"); rg != "" && !ignore {
		v, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"))
		if err != nil || v < 0 {
			http.Error(w, "bad range", http.StatusBadRequest)
			return
		}
		if v >= len(data) {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(data)))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start = v
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", v, len(data)-1, len(data)))
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)-start))
	if start > 0 {
		w.WriteHeader(http.StatusPartialContent)
	}
	body := data[start:]
	for sent := 0; sent < len(body); {
		n := min(64<<10, len(body)-sent)
		if cut >= 0 && sent+n > cut {
			w.Write(body[sent:cut])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // drop the connection mid-body
		}
		w.Write(body[sent : sent+n])
		w.(http.Flusher).Flush()
		sent += n
		if started != nil {
			close(started)
			started = nil
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
	}
}

func newClient(t *testing.T, base string) (*Client, *bytes.Buffer) {
	log := new(bytes.Buffer)
	return &Client{
		CacheDir:  filepath.Join(t.TempDir(), "cache"),
		TorchHome: filepath.Join(t.TempDir(), "torch"),
		BaseURL:   base,
		Log:       log,
	}, log
}

func checkFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes differ from the %d served", path, len(got), len(want))
	}
}

func noPartials(t *testing.T, dir string) {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.partial"))
	if len(m) > 0 {
		t.Fatalf("partial files left: %v", m)
	}
}

func TestFetchDownloads(t *testing.T) {
	data, e := fakeCheckpoint(1, 300<<10)
	s := newServer(t, map[string][]byte{e.FileName(): data})
	c, log := newClient(t, s.base())
	var bar bytes.Buffer
	c.Progress = &bar

	p, err := c.FetchEntry(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(c.CacheDir, e.FileName()); p != want {
		t.Fatalf("path %s, want %s", p, want)
	}
	checkFile(t, p, data)
	noPartials(t, c.CacheDir)
	if !strings.Contains(log.String(), "licence: BSD-3-Clause") {
		t.Errorf("log does not name the licence:\n%s", log)
	}
	if !strings.Contains(bar.String(), e.FileName()) || !strings.Contains(bar.String(), "100%") {
		t.Errorf("progress output lacks the file name or 100%%: %q", bar.String())
	}

	// Second fetch: from the cache, no request, no hashing (marker).
	log.Reset()
	if p2, err := c.FetchEntry(context.Background(), e); err != nil || p2 != p {
		t.Fatalf("second fetch: %q, %v", p2, err)
	}
	if n := len(s.gets()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if strings.Contains(log.String(), "checking") {
		t.Errorf("second fetch hashed the file again:\n%s", log)
	}
}

func TestFetchQuietWithoutProgress(t *testing.T) {
	data, e := fakeCheckpoint(2, 10<<10)
	s := newServer(t, map[string][]byte{e.FileName(): data})
	c := &Client{CacheDir: t.TempDir(), TorchHome: t.TempDir(), BaseURL: s.base()}
	if _, err := c.FetchEntry(context.Background(), e); err != nil {
		t.Fatal(err)
	}
}

func TestFetchHashMismatch(t *testing.T) {
	data, e := fakeCheckpoint(3, 100<<10)
	bad := append([]byte(nil), data...)
	bad[len(bad)/2] ^= 1
	s := newServer(t, map[string][]byte{e.FileName(): bad})
	c, _ := newClient(t, s.base())

	_, err := c.FetchEntry(context.Background(), e)
	var ce *ChecksumError
	if !errors.As(err, &ce) || !errors.Is(err, ErrChecksum) {
		t.Fatalf("err = %v, want a ChecksumError", err)
	}
	if !strings.Contains(err.Error(), e.SHA256Prefix) || !strings.Contains(err.Error(), e.FileName()) {
		t.Errorf("error does not name the file and prefix: %v", err)
	}
	if exists(filepath.Join(c.CacheDir, e.FileName())) {
		t.Fatal("a file with the wrong hash is in the cache")
	}
	noPartials(t, c.CacheDir)
}

// A real table name served with the wrong bytes is rejected too.
func TestFetchByNameMismatch(t *testing.T) {
	e, _ := Lookup("resnet18")
	s := newServer(t, map[string][]byte{e.FileName(): []byte("not the weights")})
	c, _ := newClient(t, s.base())
	if _, err := c.Fetch(context.Background(), "resnet18"); !errors.Is(err, ErrChecksum) {
		t.Fatalf("err = %v, want ErrChecksum", err)
	}
}

func TestFetchResumesAfterCut(t *testing.T) {
	data, e := fakeCheckpoint(4, 1<<20)
	s := newServer(t, map[string][]byte{e.FileName(): data})
	s.set(func() { s.cuts, s.cutAfter = 2, 300<<10 })
	c, log := newClient(t, s.base())

	p, err := c.FetchEntry(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, data)
	got := s.gets()
	want := []string{"", fmt.Sprintf("bytes=%d-", 300<<10), fmt.Sprintf("bytes=%d-", 600<<10)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Range headers %q, want %q", got, want)
	}
	if !strings.Contains(log.String(), "retrying") {
		t.Errorf("log does not mention the retry:\n%s", log)
	}
}

// A process killed mid-download leaves NAME.partial; the next Fetch resumes it.
func TestFetchResumesPartialFile(t *testing.T) {
	data, e := fakeCheckpoint(5, 500<<10)
	s := newServer(t, map[string][]byte{e.FileName(): data})
	c, log := newClient(t, s.base())
	os.MkdirAll(c.CacheDir, 0o755)
	os.WriteFile(filepath.Join(c.CacheDir, e.FileName()+".partial"), data[:123456], 0o644)

	p, err := c.FetchEntry(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, data)
	if got := s.gets(); len(got) != 1 || got[0] != "bytes=123456-" {
		t.Errorf("requests %q, want one for bytes=123456-", got)
	}
	if !strings.Contains(log.String(), "resuming") {
		t.Errorf("log does not mention resuming:\n%s", log)
	}
}

// A partial file that is already complete gets 416 and is used as is.
func TestFetchCompletePartial(t *testing.T) {
	data, e := fakeCheckpoint(6, 50<<10)
	s := newServer(t, map[string][]byte{e.FileName(): data})
	c, _ := newClient(t, s.base())
	os.MkdirAll(c.CacheDir, 0o755)
	os.WriteFile(filepath.Join(c.CacheDir, e.FileName()+".partial"), data, 0o644)
	p, err := c.FetchEntry(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, data)
}

// A partial file from different bytes: the resumed whole fails the hash and
// Fetch starts over once, from scratch.
func TestFetchBadPartialStartsOver(t *testing.T) {
	data, e := fakeCheckpoint(7, 200<<10)
	s := newServer(t, map[string][]byte{e.FileName(): data})
	c, _ := newClient(t, s.base())
	os.MkdirAll(c.CacheDir, 0o755)
	os.WriteFile(filepath.Join(c.CacheDir, e.FileName()+".partial"), make([]byte, 1000), 0o644)
	p, err := c.FetchEntry(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, data)
	if got := s.gets(); len(got) != 2 || got[0] != "bytes=1000-" || got[1] != "" {
		t.Errorf("requests %q, want a range request then a full one", got)
	}
}

func TestFetchServerIgnoresRange(t *testing.T) {
	data, e := fakeCheckpoint(8, 400<<10)
	s := newServer(t, map[string][]byte{e.FileName(): data})
	s.set(func() { s.ignoreRange, s.cuts, s.cutAfter = true, 1, 100<<10 })
	c, log := newClient(t, s.base())

	p, err := c.FetchEntry(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, data)
	if got := s.gets(); len(got) != 2 || got[1] == "" {
		t.Errorf("requests %q, want a second one with a Range header", got)
	}
	if !strings.Contains(log.String(), "ignored the range request") {
		t.Errorf("log does not mention the restart:\n%s", log)
	}
}

func TestFetchHTTPErrors(t *testing.T) {
	_, e := fakeCheckpoint(9, 1000)
	for _, tc := range []struct {
		status   int
		attempts int
	}{
		{http.StatusNotFound, 1},
		{http.StatusForbidden, 1},
		{http.StatusInternalServerError, maxAttempts},
		{http.StatusServiceUnavailable, maxAttempts},
	} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			s := newServer(t, nil)
			s.set(func() { s.status = tc.status })
			c, _ := newClient(t, s.base())
			_, err := c.FetchEntry(context.Background(), e)
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != tc.status {
				t.Fatalf("err = %v, want HTTPError %d", err, tc.status)
			}
			if !strings.Contains(err.Error(), e.FileName()) {
				t.Errorf("error does not name the address: %v", err)
			}
			if n := len(s.gets()); n != tc.attempts {
				t.Errorf("%d requests, want %d", n, tc.attempts)
			}
			noPartials(t, c.CacheDir)
			if exists(filepath.Join(c.CacheDir, e.FileName())) {
				t.Error("file in cache after an error")
			}
		})
	}
}

// A server that cannot be reached at all: retried, then an error that says
// what to do without network, a *url.Error underneath, and nothing left behind.
func TestFetchUnreachable(t *testing.T) {
	_, e := fakeCheckpoint(12, 1000)
	s := httptest.NewServer(http.NotFoundHandler())
	base := s.URL + "/models"
	s.Close() // the port refuses connections from now on
	c, log := newClient(t, base)
	_, err := c.FetchEntry(context.Background(), e)
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want a *url.Error", err)
	}
	for _, want := range []string{"no network?", "resnet download " + e.Name, e.FileName(), c.CacheDir, "RESNET_HUB_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if n := strings.Count(log.String(), "retrying"); n != maxAttempts-1 {
		t.Errorf("%d retries logged, want %d:\n%s", n, maxAttempts-1, log)
	}
	if strings.Contains(log.String(), "hub: hub:") {
		t.Errorf("log repeats its prefix:\n%s", log)
	}
	noPartials(t, c.CacheDir)
}

func TestRetryable(t *testing.T) {
	get := func(err error) error {
		return fmt.Errorf("hub: %w", &url.Error{Op: "Get", URL: "https://x/y.pth", Err: err})
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", get(&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}), true},
		{"cut body", fmt.Errorf("hub: GET x: %w after 1 MB", io.ErrUnexpectedEOF), true},
		{"dns timeout", get(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "i/o timeout", Name: "x", IsTimeout: true}}), true},
		{"dns not found", get(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}}), false},
		{"503", &HTTPError{StatusCode: 503}, true},
		{"429", &HTTPError{StatusCode: 429}, true},
		{"404", &HTTPError{StatusCode: 404}, false},
		{"disk full", fmt.Errorf("hub: %w", &fs.PathError{Op: "write", Path: "x.partial", Err: errors.New("no space left on device")}), false},
		{"too large", fmt.Errorf("hub: GET x: %w", ErrTooLarge), false},
	} {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("%s: retryable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestFetchOffline(t *testing.T) {
	_, e := fakeCheckpoint(10, 1000)
	for _, env := range []bool{false, true} {
		c, _ := newClient(t, "http://127.0.0.1:1/unreachable")
		if env {
			t.Setenv("RESNET_OFFLINE", "1")
		} else {
			c.Offline = true
		}
		_, err := c.FetchEntry(context.Background(), e)
		if !errors.Is(err, ErrOffline) {
			t.Fatalf("err = %v, want ErrOffline", err)
		}
		for _, s := range []string{e.FileName(), filepath.Join(c.CacheDir, e.FileName()) + " (not there)", c.TorchDir()} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("offline error does not mention %s: %v", s, err)
			}
		}
	}
}

func TestFetchOfflineFindsCache(t *testing.T) {
	data, e := fakeCheckpoint(11, 1000)
	c, _ := newClient(t, "")
	c.Offline = true
	os.MkdirAll(c.CacheDir, 0o755)
	p := filepath.Join(c.CacheDir, e.FileName())
	os.WriteFile(p, data, 0o644)
	if got, err := c.FetchEntry(context.Background(), e); err != nil || got != p {
		t.Fatalf("FetchEntry = %q, %v; want %s", got, err, p)
	}
}

func TestFetchTorchCache(t *testing.T) {
	data, e := fakeCheckpoint(12, 64<<10)
	c, log := newClient(t, "http://127.0.0.1:1/must-not-be-used")
	tp := filepath.Join(c.TorchHome, "hub", "checkpoints", e.FileName())
	os.MkdirAll(filepath.Dir(tp), 0o755)
	os.WriteFile(tp, data, 0o644)

	for i := 0; i < 2; i++ {
		p, err := c.FetchEntry(context.Background(), e)
		if err != nil || p != tp {
			t.Fatalf("fetch %d: %q, %v; want %s", i, p, err, tp)
		}
	}
	if n := strings.Count(log.String(), "checking the SHA-256"); n != 1 {
		t.Errorf("hashed the torch file %d times, want once:\n%s", n, log)
	}
	if exists(filepath.Join(c.CacheDir, e.FileName())) {
		t.Error("the torch file was copied into our cache")
	}

	// TORCH_HOME is honoured when the field is empty.
	c2 := &Client{CacheDir: c.CacheDir, BaseURL: c.BaseURL}
	t.Setenv("TORCH_HOME", c.TorchHome)
	if p, err := c2.FetchEntry(context.Background(), e); err != nil || p != tp {
		t.Fatalf("with TORCH_HOME: %q, %v", p, err)
	}
}

// A corrupt file in PyTorch's cache is ignored, not deleted, and the file
// is downloaded into ours.
func TestFetchTorchCacheCorrupt(t *testing.T) {
	data, e := fakeCheckpoint(13, 64<<10)
	s := newServer(t, map[string][]byte{e.FileName(): data})
	c, _ := newClient(t, s.base())
	tp := filepath.Join(c.TorchDir(), e.FileName())
	os.MkdirAll(filepath.Dir(tp), 0o755)
	os.WriteFile(tp, data[:1000], 0o644)
	p, err := c.FetchEntry(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if p != filepath.Join(c.CacheDir, e.FileName()) {
		t.Fatalf("path %s, want our cache", p)
	}
	checkFile(t, p, data)
	if !exists(tp) {
		t.Fatal("the torch cache file was deleted")
	}
}

// A cached file changed after it was verified is hashed again, found bad,
// and replaced.
func TestFetchCorruptCache(t *testing.T) {
	data, e := fakeCheckpoint(14, 64<<10)
	s := newServer(t, map[string][]byte{e.FileName(): data})
	c, _ := newClient(t, s.base())
	p, err := c.FetchEntry(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), data...)
	bad[0] ^= 0xff
	os.WriteFile(p, bad, 0o644)
	later := time.Now().Add(2 * time.Second)
	os.Chtimes(p, later, later)
	if p2, err := c.FetchEntry(context.Background(), e); err != nil || p2 != p {
		t.Fatalf("refetch: %q, %v", p2, err)
	}
	checkFile(t, p, data)
	if n := len(s.gets()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestFetchConcurrent(t *testing.T) {
	data, e := fakeCheckpoint(15, 1<<20)
	s := newServer(t, map[string][]byte{e.FileName(): data})
	s.set(func() { s.chunkDelay = 5 * time.Millisecond })
	dir := t.TempDir()
	const n = 6
	var wg sync.WaitGroup
	paths, errs := make([]string, n), make([]error, n)
	for i := range n {
		wg.Go(func() {
			c := &Client{CacheDir: dir, TorchHome: t.TempDir(), BaseURL: s.base()}
			paths[i], errs[i] = c.FetchEntry(context.Background(), e)
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || paths[i] != paths[0] {
			t.Fatalf("fetch %d: %q, %v", i, paths[i], errs[i])
		}
	}
	checkFile(t, paths[0], data)
	if got := s.gets(); len(got) != 1 {
		t.Errorf("%d requests, want 1 (the others wait for it): %q", len(got), got)
	}
	noPartials(t, dir)
}

// Two processes fetching into one cache: one downloads, the other waits.
func TestFetchTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	data, e := fakeCheckpoint(16, 1<<20)
	s := newServer(t, map[string][]byte{e.FileName(): data})
	s.set(func() { s.chunkDelay = 10 * time.Millisecond })
	dir := t.TempDir()
	var wg sync.WaitGroup
	outs := make([][]byte, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "HUB_TEST_HELPER=1", "HUB_TEST_DIR="+dir,
				"HUB_TEST_BASE="+s.base(), "HUB_TEST_URL="+e.URL, "HUB_TEST_TORCH="+t.TempDir())
			outs[i], errs[i] = cmd.CombinedOutput()
		})
	}
	wg.Wait()
	want := filepath.Join(dir, e.FileName())
	for i := range 2 {
		if errs[i] != nil || strings.TrimSpace(string(outs[i])) != want {
			t.Fatalf("process %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	checkFile(t, want, data)
	if got := s.gets(); len(got) != 1 {
		t.Errorf("%d requests, want 1: %q", len(got), got)
	}
}

func helperProcess() {
	url := os.Getenv("HUB_TEST_URL")
	f := strings.TrimSuffix(filepath.Base(url), ".pth")
	e := Entry{Name: "fake18", URL: url, SHA256Prefix: f[strings.LastIndexByte(f, '-')+1:]}
	c := &Client{CacheDir: os.Getenv("HUB_TEST_DIR"), TorchHome: os.Getenv("HUB_TEST_TORCH"), BaseURL: os.Getenv("HUB_TEST_BASE")}
	p, err := c.FetchEntry(context.Background(), e)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(p)
}

func TestFetchCancel(t *testing.T) {
	data, e := fakeCheckpoint(17, 2<<20)
	s := newServer(t, map[string][]byte{e.FileName(): data})
	started := make(chan struct{})
	s.set(func() { s.chunkDelay, s.started = 20*time.Millisecond, started })
	c, _ := newClient(t, s.base())
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; time.Sleep(50 * time.Millisecond); cancel() }()

	_, err := c.FetchEntry(ctx, e)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	final := filepath.Join(c.CacheDir, e.FileName())
	if exists(final) {
		t.Fatal("a cancelled download left a file in the final place")
	}
	st, err := os.Stat(final + ".partial")
	if err != nil || st.Size() == 0 || st.Size() >= int64(len(data)) {
		t.Fatalf("partial file: %v, %v; want some bytes kept to resume", st, err)
	}

	// The next Fetch resumes where the cancelled one stopped.
	s.set(func() { s.chunkDelay = 0 })
	p, err := c.FetchEntry(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, data)
	if got := s.gets(); len(got) != 2 || got[1] != fmt.Sprintf("bytes=%d-", st.Size()) {
		t.Errorf("requests %q, want the second to resume at %d", got, st.Size())
	}
}

// A cancelled wait for another process's lock returns promptly.
func TestFetchCancelWhileLocked(t *testing.T) {
	_, e := fakeCheckpoint(18, 1000)
	c, _ := newClient(t, "http://127.0.0.1:1/unused")
	os.MkdirAll(c.CacheDir, 0o755)
	unlock, err := c.lock(context.Background(), c.CacheDir, e.FileName())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.FetchEntry(ctx, e); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
}

func TestFetchFileMirror(t *testing.T) {
	data, e := fakeCheckpoint(19, 70<<10)
	mirror := t.TempDir()
	os.WriteFile(filepath.Join(mirror, e.FileName()), data, 0o644)
	for _, base := range []string{mirror, "file://" + filepath.ToSlash(mirror)} {
		c, _ := newClient(t, base)
		p, err := c.FetchEntry(context.Background(), e)
		if err != nil {
			t.Fatalf("BaseURL %s: %v", base, err)
		}
		checkFile(t, p, data)
	}
}

func TestWSLLicenceNote(t *testing.T) {
	e, _ := Lookup("resnext101_32x8d_wsl")
	s := newServer(t, map[string][]byte{e.FileName(): []byte("x")})
	c, log := newClient(t, s.base())
	c.FetchEntry(context.Background(), e) // fails the hash; the note comes first
	if !strings.Contains(log.String(), "CC-BY-NC-4.0") || !strings.Contains(log.String(), "non-commercial") {
		t.Errorf("no licence note:\n%s", log)
	}
}

func TestDefaultsFromEnvironment(t *testing.T) {
	t.Setenv("RESNET_CACHE", "")
	t.Setenv("TORCH_HOME", "")
	t.Setenv("XDG_CACHE_HOME", "/x/cache")
	var c Client
	if d, _ := c.Dir(); d != "/x/cache/resnet" {
		t.Errorf("Dir() = %s with XDG_CACHE_HOME", d)
	}
	if d := c.TorchDir(); d != "/x/cache/torch/hub/checkpoints" {
		t.Errorf("TorchDir() = %s with XDG_CACHE_HOME", d)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if d, _ := c.Dir(); d != "/home/u/.cache/resnet" {
		t.Errorf("Dir() = %s with HOME only", d)
	}
	if d := c.TorchDir(); d != "/home/u/.cache/torch/hub/checkpoints" {
		t.Errorf("TorchDir() = %s with HOME only", d)
	}
	t.Setenv("RESNET_CACHE", "/r")
	t.Setenv("TORCH_HOME", "/t")
	if d, _ := c.Dir(); d != "/r" {
		t.Errorf("Dir() = %s with RESNET_CACHE", d)
	}
	if d := c.TorchDir(); d != "/t/hub/checkpoints" {
		t.Errorf("TorchDir() = %s with TORCH_HOME", d)
	}
	c = Client{CacheDir: "/c", TorchHome: "/th"}
	if d, _ := c.Dir(); d != "/c" || c.TorchDir() != "/th/hub/checkpoints" {
		t.Errorf("fields not preferred to the environment")
	}

	e, _ := Lookup("resnet50")
	if u := c.URL(&e); u != e.URL {
		t.Errorf("URL = %s, want the official one", u)
	}
	t.Setenv("RESNET_HUB_URL", "https://mirror.example/w/")
	if u := c.URL(&e); u != "https://mirror.example/w/resnet50-0676ba61.pth" {
		t.Errorf("URL with RESNET_HUB_URL = %s", u)
	}
	c.BaseURL = "http://other"
	if u := c.URL(&e); u != "http://other/resnet50-0676ba61.pth" {
		t.Errorf("URL with BaseURL = %s", u)
	}
	if c.offline() {
		t.Error("offline without RESNET_OFFLINE")
	}
	t.Setenv("RESNET_OFFLINE", "1")
	if !c.offline() {
		t.Error("RESNET_OFFLINE=1 ignored")
	}
}

func TestListAndRemove(t *testing.T) {
	data, e := fakeCheckpoint(20, 10<<10)
	s := newServer(t, map[string][]byte{e.FileName(): data})
	c, _ := newClient(t, s.base())
	if l, err := c.List(); err != nil || len(l) != 0 {
		t.Fatalf("List of an empty cache: %v, %v", l, err)
	}
	p, err := c.FetchEntry(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	// A table file in the torch cache, a partial download, and a stray file.
	r18, _ := Lookup("resnet18")
	r34, _ := Lookup("resnet34")
	os.MkdirAll(c.TorchDir(), 0o755)
	os.WriteFile(filepath.Join(c.TorchDir(), r18.FileName()), []byte("torch"), 0o644)
	os.WriteFile(filepath.Join(c.CacheDir, r34.FileName()+".partial"), []byte("part"), 0o644)

	l, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range l {
		got = append(got, fmt.Sprintf("%s %s %s partial=%v verified=%v", f.Location, f.Name, f.File, f.Partial, f.Verified))
	}
	want := []string{
		"cache resnet34 " + r34.FileName() + " partial=true verified=false",
		"cache  " + filepath.Base(p) + " partial=false verified=false", // fake entry: not in the table
		"torch resnet18 " + r18.FileName() + " partial=false verified=false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("List:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	if err := c.Remove("resnet34", "resnet18"); err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Join(c.CacheDir, r34.FileName()+".partial")) {
		t.Error("Remove left the partial file")
	}
	if !exists(filepath.Join(c.TorchDir(), r18.FileName())) {
		t.Error("Remove deleted a file in PyTorch's cache")
	}
	if err := c.Remove("resnet5O"); err == nil {
		t.Error("Remove of an unknown name succeeded")
	}
	if err := c.RemoveAll(); err != nil {
		t.Fatal(err)
	}
	if exists(p) {
		t.Error("RemoveAll left", p)
	}
	if l, _ := c.List(); len(l) != 1 || l[0].Location != InTorch {
		t.Errorf("after RemoveAll: %+v", l)
	}
}

func TestListVerified(t *testing.T) {
	// A table entry cannot be downloaded with the right hash in a test, so
	// check Verified through a marker written for a file we control.
	data, e := fakeCheckpoint(21, 1000)
	c, _ := newClient(t, "")
	os.MkdirAll(c.CacheDir, 0o755)
	p := filepath.Join(c.CacheDir, e.FileName())
	os.WriteFile(p, data, 0o644)
	if c.verified(p, e.SHA256Prefix) {
		t.Fatal("verified before any check")
	}
	if ok, err := c.verifyCached(context.Background(), p, &e); !ok || err != nil {
		t.Fatalf("verifyCached = %v, %v", ok, err)
	}
	if !c.verified(p, e.SHA256Prefix) {
		t.Fatal("no marker after a successful check")
	}
	os.WriteFile(p, append(data, 0), 0o644)
	if c.verified(p, e.SHA256Prefix) {
		t.Fatal("marker still trusted after the file changed size")
	}
	if ok, err := c.verifyCached(context.Background(), p, &e); ok || err != nil {
		t.Fatalf("verifyCached of a changed file = %v, %v", ok, err)
	}
	if known, good := c.checked(p, e.SHA256Prefix); !known || good {
		t.Fatalf("checked after a failed check = %v, %v; want known and bad", known, good)
	}
}

func TestExclLock(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.lock")
	u1, busy, err := tryLockExcl(p)
	if err != nil || busy {
		t.Fatalf("first lock: busy=%v err=%v", busy, err)
	}
	if _, busy, _ := tryLockExcl(p); !busy {
		t.Fatal("second lock not busy")
	}
	u1()
	u2, busy, err := tryLockExcl(p)
	if err != nil || busy {
		t.Fatalf("lock after unlock: busy=%v err=%v", busy, err)
	}
	// A holder that died: its lock file stops being refreshed.
	old := time.Now().Add(-2 * exclStale)
	os.Chtimes(p+".excl", old, old)
	if _, busy, _ := tryLockExcl(p); !busy {
		t.Fatal("stale lock taken in the same call that removed it")
	}
	u3, busy, err := tryLockExcl(p)
	if err != nil || busy {
		t.Fatalf("stale lock not taken over: busy=%v err=%v", busy, err)
	}
	u3()
	_ = u2
}

func TestFlockExcludes(t *testing.T) {
	c, _ := newClient(t, "")
	c.Log = nil // shared by the goroutines below
	os.MkdirAll(c.CacheDir, 0o755)
	var holders, most atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			unlock, err := c.lock(context.Background(), c.CacheDir, "f.pth")
			if err != nil {
				t.Error(err)
				return
			}
			h := holders.Add(1)
			for m := most.Load(); h > m && !most.CompareAndSwap(m, h); m = most.Load() {
			}
			time.Sleep(2 * time.Millisecond)
			holders.Add(-1)
			unlock()
		})
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Fatalf("%d holders at once", most.Load())
	}
}

func TestFetchEntryRejectsBadPrefix(t *testing.T) {
	c, _ := newClient(t, "")
	for _, p := range []string{"", "abc", "xyz12345", "0676ba6g"} {
		e := Entry{Name: "x", URL: "https://example.com/x-" + p + ".pth", SHA256Prefix: p}
		if _, err := c.FetchEntry(context.Background(), e); err == nil || !strings.Contains(err.Error(), "hex") {
			t.Errorf("prefix %q: err = %v", p, err)
		}
	}
}

func TestFetchBadBaseURL(t *testing.T) {
	_, e := fakeCheckpoint(22, 1000)
	c, _ := newClient(t, "ftp://mirror.example/models")
	if _, err := c.FetchEntry(context.Background(), e); err == nil || !strings.Contains(err.Error(), "want an http") {
		t.Fatalf("err = %v", err)
	}
}

// TestFetchTooLarge: a server that streams without end, or announces far
// more bytes than the file has, is stopped with ErrTooLarge instead of
// filling the disk, not retried, and leaves neither the cache file nor a
// partial one.
func TestFetchTooLarge(t *testing.T) {
	_, e := fakeCheckpoint(9, 10<<10)
	endless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 1<<20)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer endless.Close()
	announced := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1099511627776")
		w.Write(make([]byte, 100))
	}))
	defer announced.Close()
	for name, base := range map[string]string{"endless": endless.URL, "announced": announced.URL} {
		c, _ := newClient(t, base)
		_, err := c.FetchEntry(context.Background(), e)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v, want ErrTooLarge", name, err)
		}
		if exists(filepath.Join(c.CacheDir, e.FileName())) {
			t.Errorf("%s: the file is in the cache", name)
		}
		noPartials(t, c.CacheDir)
	}
}

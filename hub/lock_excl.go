package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// The portable lock, used where flock(2) is missing: a file created with
// O_EXCL, whose holder refreshes its modification time every
// exclHeartbeat. A lock not refreshed for exclStale belongs to a process
// that died, and is taken over.
var (
	exclHeartbeat = 5 * time.Second
	exclStale     = 30 * time.Second
)

func tryLockExcl(p string) (unlock func(), busy bool, err error) {
	p += ".excl"
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		st, serr := os.Stat(p)
		if serr == nil && time.Since(st.ModTime()) > exclStale {
			// Stale: rename it away first, so only one of several waiters
			// removes it (the rename of the others fails).
			stale := fmt.Sprintf("%s.stale-%d", p, os.Getpid())
			if os.Rename(p, stale) == nil {
				// Another waiter may have taken over in between: if what we
				// moved is fresh, put it back.
				if st, err := os.Stat(stale); err == nil && time.Since(st.ModTime()) <= exclStale {
					os.Rename(stale, p)
				} else {
					os.Remove(stale)
				}
			}
		}
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	fmt.Fprintf(f, "%d\n", os.Getpid())
	f.Close()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(exclHeartbeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				os.Chtimes(p, now, now)
			}
		}
	}()
	return func() {
		close(done)
		os.Remove(p)
	}, false, nil
}

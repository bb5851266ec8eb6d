package hub

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Downloads of one file serialise on CacheDir/.locks/FILE.lock. Lock files
// stay behind: deleting one that another process has open would let a third
// process lock a fresh file and run beside it.

const lockDir = ".locks"

// lockPoll is how often a blocked Fetch retries the lock.
var lockPoll = 100 * time.Millisecond

// lock takes the exclusive lock for file name in dir, waiting while another
// Fetch (in any process) holds it, until ctx is done.
func (c *Client) lock(ctx context.Context, dir, name string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Join(dir, lockDir), 0o755); err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	p := filepath.Join(dir, lockDir, name+".lock")
	told := false
	for {
		unlock, busy, err := tryLock(p)
		if err != nil {
			return nil, fmt.Errorf("hub: lock %s: %w", p, err)
		}
		if !busy {
			return unlock, nil
		}
		if !told {
			c.logf("hub: waiting for another download of %s to finish (lock %s)", name, p)
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("hub: waiting for lock %s: %w", p, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

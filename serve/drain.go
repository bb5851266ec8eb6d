package serve

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// freshConns tracks the connections an http.Server has accepted whose
// first request has not yet reached the handler. net/http's Shutdown
// drops a request it reads after shutdown began (it closes the connection
// unanswered: the client sees EOF on a new connection and cannot retry),
// so Serve first closes the listener, then waits for these to be empty
// (or drainNewConns to pass) before calling Shutdown.
type freshConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	empty chan struct{} // closed and replaced when the set becomes empty
}

type connKey struct{}

func newFreshConns() *freshConns {
	return &freshConns{conns: map[net.Conn]struct{}{}, empty: make(chan struct{})}
}

// install hooks f into hs: ConnState adds new connections and removes
// closed or hijacked ones; ConnContext lets the handler find its
// connection; the returned handler removes it on a request's arrival.
func (f *freshConns) install(hs *http.Server) {
	prev := hs.ConnContext
	hs.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if prev != nil {
			ctx = prev(ctx, c)
		}
		return context.WithValue(ctx, connKey{}, c)
	}
	hs.ConnState = func(c net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			f.mu.Lock()
			f.conns[c] = struct{}{}
			f.mu.Unlock()
		case http.StateClosed, http.StateHijacked:
			f.remove(c)
		}
	}
	h := hs.Handler
	hs.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(connKey{}).(net.Conn); ok {
			f.remove(c)
		}
		h.ServeHTTP(w, r)
	})
}

func (f *freshConns) remove(c net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.conns[c]; !ok {
		return
	}
	delete(f.conns, c)
	if len(f.conns) == 0 {
		close(f.empty)
		f.empty = make(chan struct{})
	}
}

// wait returns when no accepted connection is waiting for its first
// request to reach the handler, or after d.
func (f *freshConns) wait(d time.Duration) {
	f.mu.Lock()
	if len(f.conns) == 0 {
		f.mu.Unlock()
		return
	}
	ch := f.empty
	f.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	}
}

// drainNewConns bounds how long Serve waits, after closing the listener,
// for requests on connections it had accepted (ReadHeaderTimeout would
// end a silent one only after 10 s).
const drainNewConns = 2 * time.Second

// onceCloseListener makes Close idempotent: Serve closes the listener
// itself before Shutdown closes it again.
type onceCloseListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloseListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}

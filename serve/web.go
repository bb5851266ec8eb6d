package serve

import (
	_ "embed"
	"net/http"
)

// indexHTML is the web page at /: pick or drop an image, see the top-5
// classes as bars. Self-contained (no external scripts, styles or fonts).
//
//go:embed web/index.html
var indexHTML []byte

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(indexHTML)
}

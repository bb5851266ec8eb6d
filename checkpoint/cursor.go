package checkpoint

import (
	"errors"
	"io"
)

// cursor reads sequentially from an io.ReaderAt, buffering, and knows the
// absolute offset of every byte so errors can name it. It never reads past
// end, so a length field can be checked against remaining before any
// allocation.
type cursor struct {
	r    io.ReaderAt
	base int64 // file offset of buf[0]
	buf  []byte
	i    int   // next unread byte in buf
	end  int64 // first offset that must not be read
}

const cursorChunk = 64 << 10

func newCursor(r io.ReaderAt, off, end int64) *cursor {
	return &cursor{r: r, base: off, end: end}
}

func (c *cursor) pos() int64       { return c.base + int64(c.i) }
func (c *cursor) remaining() int64 { return c.end - c.pos() }

// fill makes n unread bytes available in buf, or returns
// io.ErrUnexpectedEOF if the input ends first.
func (c *cursor) fill(n int) error {
	if len(c.buf)-c.i >= n {
		return nil
	}
	if int64(n) > c.remaining() {
		return io.ErrUnexpectedEOF
	}
	// Move the unread tail to the front and read more behind it.
	keep := len(c.buf) - c.i
	want := max(n, cursorChunk, 2*keep) // doubling keeps line() linear
	if int64(want) > c.remaining() {
		want = int(c.remaining())
	}
	nb := make([]byte, want)
	copy(nb, c.buf[c.i:])
	c.base += int64(c.i)
	got, err := c.r.ReadAt(nb[keep:], c.base+int64(keep))
	if got < want-keep {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	c.buf, c.i = nb, 0
	return nil
}

func (c *cursor) byte() (byte, error) {
	if err := c.fill(1); err != nil {
		return 0, err
	}
	b := c.buf[c.i]
	c.i++
	return b, nil
}

// next returns the next n bytes; the slice is valid until the next call.
func (c *cursor) next(n int) ([]byte, error) {
	if n < 0 {
		return nil, io.ErrUnexpectedEOF
	}
	if err := c.fill(n); err != nil {
		return nil, err
	}
	b := c.buf[c.i : c.i+n]
	c.i += n
	return b, nil
}

// line returns the bytes up to (not including) the next '\n', which must
// come within max bytes.
func (c *cursor) line(limit int) ([]byte, error) {
	for n := 0; ; n++ {
		if n > limit {
			return nil, errLineTooLong
		}
		if err := c.fill(n + 1); err != nil {
			return nil, err
		}
		if c.buf[c.i+n] == '\n' {
			b := c.buf[c.i : c.i+n]
			c.i += n + 1
			return b, nil
		}
	}
}

var errLineTooLong = errors.New("text line too long")

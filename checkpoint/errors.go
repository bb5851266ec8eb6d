package checkpoint

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, matched with errors.Is through FormatError and
// UnsupportedError.
var (
	// ErrFormat marks input that is not a well-formed checkpoint.
	ErrFormat = errors.New("malformed checkpoint")
	// ErrUnsupported marks a well-formed feature this package does not
	// handle (a complex dtype, a big-endian file, a sparse tensor).
	ErrUnsupported = errors.New("unsupported checkpoint feature")
	// ErrForbiddenGlobal marks a pickle that names a global outside the
	// allowlist, such as os.system: the file tries to run code.
	ErrForbiddenGlobal = errors.New("forbidden global in pickle")
	// ErrTooLarge marks a size, count or nesting depth beyond what the
	// input can justify.
	ErrTooLarge = errors.New("size out of bounds")
)

// FormatError reports malformed input: a bad pickle, an offset past the end,
// a view that does not fit its storage. Err is ErrFormat, ErrTooLarge,
// ErrForbiddenGlobal or an I/O error such as io.ErrUnexpectedEOF.
type FormatError struct {
	File   string // base name of the file, if known
	Key    string // tensor or record the problem is in, if known
	Offset int64  // byte offset in the file or record, -1 if unknown
	Msg    string
	Err    error
}

func (e *FormatError) Error() string { return describe(e.File, e.Key, e.Offset, e.Msg, e.Err) }

// Unwrap returns the underlying sentinel or I/O error.
func (e *FormatError) Unwrap() error { return e.Err }

// UnsupportedError reports a valid file that uses something this package
// does not implement. Err is ErrUnsupported.
type UnsupportedError struct {
	File string
	Key  string
	Msg  string
	Err  error
}

func (e *UnsupportedError) Error() string { return describe(e.File, e.Key, -1, e.Msg, e.Err) }

// Unwrap returns ErrUnsupported.
func (e *UnsupportedError) Unwrap() error { return e.Err }

func describe(file, key string, off int64, msg string, err error) string {
	var b strings.Builder
	b.WriteString("checkpoint: ")
	if file != "" {
		b.WriteString(file)
		b.WriteString(": ")
	}
	if key != "" {
		fmt.Fprintf(&b, "%s: ", key)
	}
	b.WriteString(msg)
	if off >= 0 {
		fmt.Fprintf(&b, " (offset %d)", off)
	}
	if err != nil && err != ErrFormat && err != ErrUnsupported && err != ErrForbiddenGlobal && err != ErrTooLarge && !strings.Contains(msg, err.Error()) {
		b.WriteString(": ")
		b.WriteString(err.Error())
	}
	return b.String()
}

// withFile fills in the file name of a FormatError or UnsupportedError that
// was raised below the layer that knows it.
func withFile(err error, file string) error {
	var fe *FormatError
	if errors.As(err, &fe) && fe.File == "" {
		fe.File = file
		return err
	}
	var ue *UnsupportedError
	if errors.As(err, &ue) && ue.File == "" {
		ue.File = file
	}
	return err
}

func formatErr(key string, off int64, err error, format string, args ...any) error {
	if err == nil {
		err = ErrFormat
	}
	return &FormatError{Key: key, Offset: off, Msg: fmt.Sprintf(format, args...), Err: err}
}

func unsupported(key string, format string, args ...any) error {
	return &UnsupportedError{Key: key, Msg: fmt.Sprintf(format, args...), Err: ErrUnsupported}
}

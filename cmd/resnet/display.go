package main

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// displayable returns s as it may go to a terminal: unchanged when it is
// valid UTF-8 of graphic characters and spaces, else with Go's escapes
// for what is not (\x1b, \n, \u200b, invalid bytes). Class names and
// tensor keys come from checkpoints, file names from directories: a
// hostile one must not be able to move the cursor, retitle the window or
// hide the rest of the line.
func displayable(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return r != ' ' && !unicode.IsGraphic(r) }) < 0 {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}

package auth

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// LineError is a malformed line in an htpasswd or group file. Parsers report all of them at
// once (joined with errors.Join); use errors.As to get at them.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Warning is a line that was understood but not used, such as a user whose password is stored
// in plain text. It never contains a password or a hash.
type Warning struct {
	File string
	Line int
	User string
	Msg  string
}

func (w Warning) String() string {
	return fmt.Sprintf("%s:%d: user %q: %s", w.File, w.Line, w.User, w.Msg)
}

// maxLineBytes bounds one line so a corrupt file cannot make a parser allocate without limit.
const maxLineBytes = 1 << 20

// eachLine calls fn with every line that is not blank or a comment, trimmed of surrounding
// white space (which also removes the CR of CRLF files) and of a leading UTF-8 byte order mark.
func eachLine(r io.Reader, filename string, fn func(lineNo int, line string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLineBytes)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if lineNo == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(lineNo, line)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s after line %d: %w", filename, lineNo, err)
	}
	return nil
}

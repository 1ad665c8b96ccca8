package audit

import (
	"fmt"
	"os"
)

// OpenFile appends audit lines to path, creating it readable by the owner only (0600): the
// log names users, addresses and what they may reach. An existing file keeps its mode.
// Close the logger to flush it and close the file.
func OpenFile(path string) (*JSONLogger, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	return newJSONLogger(f, f, DefaultBuffer), nil
}

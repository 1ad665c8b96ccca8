//go:build !linux

package hashproc

import (
	"errors"
	"time"
)

// Supported tells whether workers here can run at idle priority; elsewhere they would only
// add a process.
const Supported = false

var errUnsupported = errors.New("hash workers need Linux")

func enterIdlePriority() error { return errUnsupported }

func processCPU(int) (time.Duration, error) { return 0, errUnsupported }

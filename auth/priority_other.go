//go:build !linux

package auth

// atLowPriority runs the hash as it is where threads have no priority of their own.
func atLowPriority(hash func() bool) bool { return hash() }

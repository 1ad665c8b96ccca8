package auth

// Hasher checks passwords against stored hashes for a Store: every check the credential cache
// cannot answer, at most StoreOptions.MaxConcurrentHashes at a time. It is the seam where
// regauth serve moves hashing into worker processes (package hashproc).
type Hasher interface {
	// CheckPassword reports whether pw matches hash, as the package function does.
	CheckPassword(hash string, pw []byte) bool
}

// InProcess hashes in this process, each hash on a thread of its own at lowered priority
// (see atLowPriority). It is a Store's Hasher unless another is given.
type InProcess struct{}

// CheckPassword implements Hasher.
func (InProcess) CheckPassword(hash string, pw []byte) bool {
	return atLowPriority(func() bool { return CheckPassword(hash, pw) })
}

// hasherFunc makes a function a Hasher.
type hasherFunc func(hash string, pw []byte) bool

// CheckPassword implements Hasher.
func (f hasherFunc) CheckPassword(hash string, pw []byte) bool { return f(hash, pw) }

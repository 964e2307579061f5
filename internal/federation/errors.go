package federation

import "errors"

// The errors Open, OpenOnce and Seal wrap, so that callers can tell the cases
// apart with errors.Is. The wrapping error's message names the package,
// agency or attachment concerned and says what the operator should do.
var (
	// ErrMalformed means the file is not a well-formed Concord package: not
	// JSON, an unknown or duplicated field, bad base64, or a field whose value
	// breaks the format (kind, TLP label, ID, country code...). Seal wraps it
	// too when the package it is given is incomplete.
	ErrMalformed = errors.New("malformed package")

	// ErrVersion means the file was written in a format version this build
	// of Concord does not read; the receiver should upgrade Concord.
	ErrVersion = errors.New("unsupported package version")

	// ErrUnknownSigner means no key is registered for the agency the package
	// names as its sender, or looking the key up failed.
	ErrUnknownSigner = errors.New("unknown signer")

	// ErrBadSignature means the package was not signed by the key registered
	// for its sender, or was altered after it was signed.
	ErrBadSignature = errors.New("bad signature")

	// ErrNotForUs means the package is addressed to another agency.
	ErrNotForUs = errors.New("package not addressed to this agency")

	// ErrAttachment means an attachment carried in the package does not match
	// the SHA-256 or the size recorded for it.
	ErrAttachment = errors.New("attachment does not match its hash")

	// ErrReplay means a package with the same ID was imported before.
	ErrReplay = errors.New("package already imported")

	// ErrClockSkew means the package is dated more than MaxClockSkew in the
	// future, so the sender's clock or this machine's is wrong.
	ErrClockSkew = errors.New("package dated in the future")

	// ErrKeyPermissions means a private key file can be read by users other
	// than its owner.
	ErrKeyPermissions = errors.New("key file readable by other users")
)

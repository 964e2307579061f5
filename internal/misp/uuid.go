package misp

import (
	"crypto/sha1"
	"encoding/hex"
)

// Namespace is the UUID namespace of the name-based (version 5) UUIDs
// Concord gives what it exports, so that exporting the same facts again
// yields the same UUIDs and a receiving MISP updates instead of duplicating.
var Namespace = [16]byte{0x6b, 0x2f, 0x4e, 0x1c, 0x93, 0x0a, 0x4d, 0x7e, 0xa1, 0x5c, 0x2e, 0x8f, 0x3b, 0x61, 0xd0, 0x47}

// UUID5 returns the RFC 9562 version 5 UUID of name in namespace ns, in
// its canonical lower-case text form.
func UUID5(ns [16]byte, name string) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

func formatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

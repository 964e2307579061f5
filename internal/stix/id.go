package stix

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
)

// Namespace is the UUIDv5 namespace STIX 2.1 (§2.9) prescribes for the
// deterministic ids of cyber-observable objects. Concord uses it for every
// object it names, SCO or not, so that ids depend only on what is named.
var Namespace = [16]byte{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}

// UUIDv5 returns the RFC 9562 version 5 UUID of name in namespace ns, in
// its textual form.
func UUIDv5(ns [16]byte, name []byte) string {
	var b [36]byte
	return string(appendUUIDv5(b[:0], ns, name))
}

// appendUUIDv5 appends the textual UUIDv5 of name in ns to dst.
func appendUUIDv5(dst []byte, ns [16]byte, name []byte) []byte {
	var scratch [256]byte
	in := append(append(scratch[:0], ns[:]...), name...)
	sum := sha1.Sum(in)
	u := sum[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return append(dst, b[:]...)
}

// ID returns the identifier "typ--uuid" of the object named name.
func ID(typ, name string) string {
	var b [128]byte
	out := append(append(b[:0], typ...), "--"...)
	var nb [200]byte
	return string(appendUUIDv5(out, Namespace, append(nb[:0], name...)))
}

// SCOID returns the deterministic id of a cyber-observable object of type
// typ from its ID-contributing properties, serialized as the specification
// asks: JSON with sorted keys and no insignificant whitespace (RFC 8785 for
// the strings and integers these properties hold).
func SCOID(typ string, contributing map[string]any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(contributing); err != nil {
		// Only strings, integers and string slices are passed in.
		panic("stix: SCO id properties: " + err.Error())
	}
	return typ + "--" + UUIDv5(Namespace, bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}))
}

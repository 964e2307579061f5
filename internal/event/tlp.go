package event

import (
	"fmt"
	"strings"
)

// TLP is a Traffic Light Protocol 2.0 marking. Values are ordered from least
// to most restrictive, so the stricter of two markings is the larger one.
type TLP uint8

// The TLP 2.0 labels, least restrictive first.
const (
	TLPClear TLP = iota
	TLPGreen
	TLPAmber
	TLPAmberStrict
	TLPRed
)

// DefaultTLP is the marking given to records whose source did not mark them
// and whose operator did not configure another default.
const DefaultTLP = TLPAmber

var tlpLabels = [...]string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}

// String returns the canonical label, e.g. "TLP:AMBER+STRICT".
func (t TLP) String() string {
	if int(t) < len(tlpLabels) {
		return tlpLabels[t]
	}
	return fmt.Sprintf("TLP(%d)", uint8(t))
}

// ParseTLP accepts the TLP 2.0 labels in any case, with or without the
// "TLP:" prefix, and TLP 1.0's WHITE as CLEAR.
func ParseTLP(s string) (TLP, error) {
	v := strings.ToUpper(strings.TrimSpace(s))
	v = strings.TrimPrefix(v, "TLP:")
	v = strings.TrimPrefix(v, "TLP ")
	v = strings.ReplaceAll(v, " ", "")
	switch v {
	case "CLEAR", "WHITE":
		return TLPClear, nil
	case "GREEN":
		return TLPGreen, nil
	case "AMBER":
		return TLPAmber, nil
	case "AMBER+STRICT", "AMBER-STRICT", "AMBERSTRICT":
		return TLPAmberStrict, nil
	case "RED":
		return TLPRed, nil
	}
	return 0, fmt.Errorf("event: %q is not a TLP label (use TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED)", s)
}

// Stricter returns the more restrictive of t and u: what data derived from
// both must carry.
func (t TLP) Stricter(u TLP) TLP {
	if u > t {
		return u
	}
	return t
}

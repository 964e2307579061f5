package event

import "testing"

func TestParseTLP(t *testing.T) {
	for in, want := range map[string]TLP{
		"TLP:CLEAR": TLPClear, "tlp:white": TLPClear, "WHITE": TLPClear, "green": TLPGreen,
		"TLP:AMBER": TLPAmber, "TLP:AMBER+STRICT": TLPAmberStrict, "amber+strict": TLPAmberStrict,
		"TLP:RED": TLPRed, " red ": TLPRed,
	} {
		got, err := ParseTLP(in)
		if err != nil || got != want {
			t.Errorf("ParseTLP(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "TLP:BLUE", "amber strict please"} {
		if _, err := ParseTLP(in); err == nil {
			t.Errorf("ParseTLP(%q) accepted", in)
		}
	}
}

func TestTLPOrderAndStricter(t *testing.T) {
	order := []TLP{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}
	labels := []string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}
	for i, a := range order {
		if a.String() != labels[i] {
			t.Errorf("%d.String() = %s, want %s", a, a, labels[i])
		}
		for j, b := range order {
			want := order[max(i, j)]
			if got := a.Stricter(b); got != want {
				t.Errorf("%v.Stricter(%v) = %v, want %v", a, b, got, want)
			}
		}
	}
	if DefaultTLP != TLPAmber {
		t.Errorf("default TLP is %v, want TLP:AMBER", DefaultTLP)
	}
}

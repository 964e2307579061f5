package store

import (
	"testing"
	"time"
)

func TestMergePeriods(t *testing.T) {
	day := int64(86400)
	tests := []struct {
		name         string
		from, to     int64
		touching     [][2]int64
		wantF, wantT int64
		want         PeriodMerge
	}{
		{"nothing stored", 10 * day, 11 * day, nil, 10 * day, 11 * day, PeriodAdded},
		{"covered by one", 10 * day, 11 * day, [][2]int64{{9 * day, 12 * day}}, 9 * day, 12 * day, PeriodUnchanged},
		{"extends one", 10 * day, 13 * day, [][2]int64{{9 * day, 12 * day}}, 9 * day, 13 * day, PeriodExtended},
		{"joins two", 10 * day, 11 * day, [][2]int64{{8 * day, 10 * day}, {11 * day, 12 * day}}, 8 * day, 12 * day, PeriodExtended},
		{"open-ended wins", 10 * day, 11 * day, [][2]int64{{SinceEver, UntilEver}}, SinceEver, UntilEver, PeriodUnchanged},
	}
	for _, tc := range tests {
		f, to, what := MergePeriods(tc.from, tc.to, tc.touching)
		if f != tc.wantF || to != tc.wantT || what != tc.want {
			t.Errorf("%s: [%d, %d] %d, want [%d, %d] %d", tc.name, f, to, what, tc.wantF, tc.wantT, tc.want)
		}
	}
}

func TestPeriodBounds(t *testing.T) {
	if PeriodStart(time.Time{}) != SinceEver || PeriodEnd(time.Time{}) != UntilEver {
		t.Error("zero times must be the sentinels")
	}
	if !PeriodTime(SinceEver).IsZero() || !PeriodTime(UntilEver).IsZero() {
		t.Error("the sentinels must read back as zero times")
	}
	at := time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC)
	if got := PeriodTime(PeriodStart(at)); !got.Equal(at) {
		t.Errorf("round trip %v", got)
	}
	// A day's slack on both sides, and none past the sentinels.
	if f, to := TouchingPeriods(10, 20); f != 20+86400 || to != 10-86400 {
		t.Errorf("touching bounds %d %d", f, to)
	}
	if f, to := TouchingPeriods(SinceEver, UntilEver); f != UntilEver || to != SinceEver {
		t.Errorf("unbounded touching bounds %d %d", f, to)
	}
}

package store

import "time"

// PeriodStart stores the start of a list period in seconds: the zero time
// ("since ever") is SinceEver, so the column stays NOT NULL and
// comparisons stay simple.
func PeriodStart(t time.Time) int64 {
	if t.IsZero() {
		return SinceEver
	}
	return t.Unix()
}

// PeriodEnd stores the end of a list period in seconds: the zero time
// ("until further notice") is UntilEver.
func PeriodEnd(t time.Time) int64 {
	if t.IsZero() {
		return UntilEver
	}
	return t.Unix()
}

// PeriodTime reads a stored period bound back: the sentinels are the zero
// time.
func PeriodTime(sec int64) time.Time {
	if sec == SinceEver || sec == UntilEver {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// periodTouch is how close two periods of one list entry may be and still
// be one period: a day, the resolution of most lists.
const periodTouch = 86400

// TouchingPeriods returns the bounds a backend queries stored periods of
// the same kind and range with (valid_from <= maxFrom AND valid_to >=
// minTo): those that overlap [from, to] or come within a day of it, and so
// merge with it.
func TouchingPeriods(from, to int64) (maxFrom, minTo int64) {
	return satAdd(to, periodTouch), satAdd(from, -periodTouch)
}

func satAdd(a, b int64) int64 {
	if a >= UntilEver || a <= SinceEver {
		return a
	}
	return a + b
}

// PeriodMerge is what importing a period did to a list entry.
type PeriodMerge uint8

// The outcomes of MergePeriods.
const (
	// PeriodAdded: no stored period touched the new one.
	PeriodAdded PeriodMerge = iota
	// PeriodExtended: stored periods grew, or several became one.
	PeriodExtended
	// PeriodUnchanged: one stored period already covered the new one.
	PeriodUnchanged
)

// MergePeriods merges the period [from, to] with the stored periods that
// TouchingPeriods found, given as (from, to) pairs, and says what changed.
// The backend deletes the touching periods and stores the merged one.
func MergePeriods(from, to int64, touching [][2]int64) (mergedFrom, mergedTo int64, what PeriodMerge) {
	if len(touching) == 0 {
		return from, to, PeriodAdded
	}
	grew := false
	for _, p := range touching {
		if from < p[0] || to > p[1] {
			grew = true
		}
		from, to = min(from, p[0]), max(to, p[1])
	}
	if grew || len(touching) > 1 {
		return from, to, PeriodExtended
	}
	return from, to, PeriodUnchanged
}

package stats

import (
	"fmt"
	"time"

	"github.com/concord-cert/concord/internal/store"
)

// bucketSpan is one trend bucket: days from..to inclusive.
type bucketSpan struct {
	from, to int32
	label    string
}

// makeBuckets cuts the period into days, ISO weeks (Monday to Sunday) or
// calendar months; the first and last bucket are clipped to the period.
func makeBuckets(from, to int32, unit string) ([]bucketSpan, error) {
	var out []bucketSpan
	for d := from; d <= to; {
		t := store.DayTime(d)
		var end time.Time
		var label string
		switch unit {
		case "day":
			end, label = t, t.Format(time.DateOnly)
		case "week":
			offset := (int(t.Weekday()) + 6) % 7 // days since Monday
			end = t.AddDate(0, 0, 6-offset)
			y, w := t.ISOWeek()
			label = fmt.Sprintf("%d-W%02d", y, w)
		case "month":
			end = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
			label = t.Format("2006-01")
		default:
			return nil, fmt.Errorf("stats: trend bucket %q is not day, week or month", unit)
		}
		e := min(store.DayOf(end), to)
		out = append(out, bucketSpan{d, e, label})
		d = e + 1
	}
	return out, nil
}

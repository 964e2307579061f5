package misp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

// Header is what the exported event says about itself. Empty
// ThreatLevelID, Analysis and Distribution default to "4" (undefined), "2"
// (complete) and "0" (your organisation only: the receiving MISP widens it
// deliberately, never by accident).
type Header struct {
	UUID          string
	Info          string
	Date          time.Time // the day the event is about
	Timestamp     time.Time // when it was last changed
	ThreatLevelID string
	Analysis      string
	Distribution  string
	Orgc          Org
}

// Writer streams one MISP event, {"Event":{...}}, attribute by attribute,
// so that an export of millions of attributes never holds them all. The
// event's tags and attribute count are written after the attributes (JSON
// members are unordered), which lets the caller derive them from what it
// wrote. A Writer is not safe for concurrent use.
type Writer struct {
	bw  *bufio.Writer
	buf []byte
	n   int
	err error
}

// NewWriter starts an event on w with the header's members.
func NewWriter(w io.Writer, h Header) *Writer {
	wr := &Writer{bw: bufio.NewWriterSize(w, 256<<10)}
	b := append(wr.buf[:0], `{"Event":{"uuid":`...)
	b = event.AppendJSONString(b, h.UUID)
	b = append(b, `,"info":`...)
	b = event.AppendJSONString(b, h.Info)
	b = append(b, `,"date":"`...)
	b = h.Date.UTC().AppendFormat(b, time.DateOnly)
	b = append(b, `","threat_level_id":`...)
	b = event.AppendJSONString(b, or(h.ThreatLevelID, "4"))
	b = append(b, `,"analysis":`...)
	b = event.AppendJSONString(b, or(h.Analysis, "2"))
	b = append(b, `,"distribution":`...)
	b = event.AppendJSONString(b, or(h.Distribution, "0"))
	b = append(b, `,"published":false,"timestamp":"`...)
	b = strconv.AppendInt(b, h.Timestamp.Unix(), 10)
	b = append(b, `","Orgc":{"uuid":`...)
	b = event.AppendJSONString(b, h.Orgc.UUID)
	b = append(b, `,"name":`...)
	b = event.AppendJSONString(b, h.Orgc.Name)
	if h.Orgc.ID != "" {
		b = append(b, `,"id":`...)
		b = event.AppendJSONString(b, h.Orgc.ID)
	}
	b = append(b, "},\n\"Attribute\":["...)
	wr.write(b)
	return wr
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (w *Writer) write(b []byte) {
	w.buf = b
	if w.err == nil {
		_, w.err = w.bw.Write(b)
	}
}

// ErrClosed is returned when a Writer is used after Close.
var ErrClosed = errors.New("misp: writer is closed")

// WriteAttribute encodes one attribute of the event. Its Raw, Deleted and
// ObjectRelation are not written; distribution is "5" (inherit the
// event's). An error is sticky: every later call returns it.
func (w *Writer) WriteAttribute(a *Attribute) error {
	if w.err != nil {
		return w.err
	}
	b := w.buf[:0]
	if w.n > 0 {
		b = append(b, ",\n"...)
	} else {
		b = append(b, '\n')
	}
	b = append(b, `{"uuid":`...)
	b = event.AppendJSONString(b, a.UUID)
	b = append(b, `,"type":`...)
	b = event.AppendJSONString(b, a.Type)
	b = append(b, `,"category":`...)
	b = event.AppendJSONString(b, a.Category)
	b = append(b, `,"value":`...)
	b = event.AppendJSONString(b, a.Value)
	b = append(b, `,"to_ids":`...)
	b = strconv.AppendBool(b, a.ToIDs)
	b = append(b, `,"timestamp":"`...)
	b = strconv.AppendInt(b, a.Timestamp, 10)
	b = append(b, `","distribution":"5","deleted":false,"comment":`...)
	b = event.AppendJSONString(b, a.Comment)
	if !a.FirstSeen.IsZero() {
		b = append(b, `,"first_seen":"`...)
		b = a.FirstSeen.UTC().AppendFormat(b, event.TimeLayout)
		b = append(b, '"')
	}
	if !a.LastSeen.IsZero() {
		b = append(b, `,"last_seen":"`...)
		b = a.LastSeen.UTC().AppendFormat(b, event.TimeLayout)
		b = append(b, '"')
	}
	if len(a.Tags) > 0 {
		b = append(b, `,"Tag":`...)
		b = appendTags(b, a.Tags)
	}
	b = append(b, '}')
	w.n++
	w.write(b)
	return w.err
}

func appendTags(b []byte, tags []Tag) []byte {
	b = append(b, '[')
	for i, t := range tags {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = event.AppendJSONString(b, t.Name)
		b = append(b, `,"exportable":true}`...)
	}
	return append(b, ']')
}

// Count returns how many attributes were written.
func (w *Writer) Count() int { return w.n }

// Close ends the event with its attribute count and the event's tags, and
// flushes. It does not close the underlying writer.
func (w *Writer) Close(tags []Tag) error {
	if w.err != nil {
		return w.err
	}
	b := append(w.buf[:0], "\n],\"attribute_count\":\""...)
	b = strconv.AppendInt(b, int64(w.n), 10)
	b = append(b, `","Tag":`...)
	b = appendTags(b, tags)
	b = append(b, "}}\n"...)
	w.write(b)
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	if w.err != nil {
		return fmt.Errorf("misp: write: %w", w.err)
	}
	w.err = ErrClosed
	return nil
}

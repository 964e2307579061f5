package taxiiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"
)

// Envelope is one page of a collection's objects.
type Envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

// Page is an envelope with the dates its objects were added, from the
// X-TAXII-Date-Added-First and -Last headers; a date the server did not
// send is empty. The dates are kept as the server wrote them, so that
// added_after sends back exactly what it said.
type Page struct {
	Envelope
	AddedFirst, AddedLast string
}

// decodeEnvelope parses a TAXII envelope. Each object must be a JSON
// object; the objects are kept as they came, for the STIX decoder.
func decodeEnvelope(b []byte) (Envelope, error) {
	var env Envelope
	if !isObject(b) {
		return Envelope{}, errors.New("not a TAXII envelope: not a JSON object")
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return Envelope{}, fmt.Errorf("not a TAXII envelope: %v", err)
	}
	for i, o := range env.Objects {
		if !isObject(o) {
			return Envelope{}, fmt.Errorf("not a TAXII envelope: object %d is not a JSON object", i+1)
		}
	}
	return env, nil
}

// decodeCollections parses a collections resource.
func decodeCollections(b []byte) ([]Collection, error) {
	var r struct {
		Collections []Collection `json:"collections"`
	}
	if !isObject(b) {
		return nil, errors.New("not a TAXII collections resource: not a JSON object")
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("not a TAXII collections resource: %v", err)
	}
	return r.Collections, nil
}

// Query selects a page of a collection's objects.
type Query struct {
	// AddedAfter, when set, is sent as added_after: a timestamp as the
	// server wrote it in X-TAXII-Date-Added-Last.
	AddedAfter string
	// Limit, when positive, asks for at most that many objects.
	Limit int
	// Next, when set, is the next token of the previous page.
	Next string
}

// Objects fetches one page of the objects of the collection at u (the
// collection's URL, without objects/).
func (c *Client) Objects(ctx context.Context, u string, q Query) (Page, error) {
	v := url.Values{}
	if q.AddedAfter != "" {
		v.Set("added_after", q.AddedAfter)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Next != "" {
		v.Set("next", q.Next)
	}
	ou := Dir(u) + "objects/"
	if len(v) > 0 {
		ou += "?" + v.Encode()
	}
	body, h, err := c.get(ctx, ou)
	if err != nil {
		return Page{}, err
	}
	env, err := decodeEnvelope(body)
	if err != nil {
		return Page{}, fmt.Errorf("taxiiclient: GET %s: %w", ou, err)
	}
	p := Page{Envelope: env}
	for _, d := range []struct {
		name string
		to   *string
	}{{"X-TAXII-Date-Added-First", &p.AddedFirst}, {"X-TAXII-Date-Added-Last", &p.AddedLast}} {
		s := h.Get(d.name)
		if s == "" {
			continue
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return Page{}, fmt.Errorf("taxiiclient: GET %s: %s %q is not an RFC 3339 timestamp", ou, d.name, truncate(s, 60))
		}
		*d.to = s
	}
	return p, nil
}

// Reader pages through the objects of one collection added after a date.
// It follows next tokens while the server says there is more; a server
// that says more without a next token is asked again with added_after set
// to the last page's X-TAXII-Date-Added-Last.
type Reader struct {
	c     *Client
	url   string
	q     Query
	done  bool
	last  string
	pages int
}

// NewReader returns a reader of the objects of the collection at u added
// after addedAfter (all objects when empty), limit per page (the server's
// default when 0).
func (c *Client) NewReader(u, addedAfter string, limit int) *Reader {
	return &Reader{c: c, url: u, q: Query{AddedAfter: addedAfter, Limit: limit}, last: addedAfter}
}

// Next returns the next page. It returns io.EOF, and no page, once the
// server has said there is no more. A page may be empty.
func (r *Reader) Next(ctx context.Context) (Page, error) {
	if r.done {
		return Page{}, io.EOF
	}
	p, err := r.c.Objects(ctx, r.url, r.q)
	if err != nil {
		return Page{}, err
	}
	r.pages++
	if p.AddedLast != "" {
		r.last = p.AddedLast
	}
	switch {
	case !p.More || len(p.Objects) == 0:
		// No more, or a server that says more but sends nothing: stop
		// rather than ask forever.
		r.done = true
	case p.Next != "":
		r.q.Next = p.Next
	case p.AddedLast != "" && p.AddedLast != r.q.AddedAfter:
		r.q.AddedAfter, r.q.Next = p.AddedLast, ""
	default:
		return p, fmt.Errorf("taxiiclient: %s says there are more objects but gives neither a next token nor X-TAXII-Date-Added-Last to ask for them", r.url)
	}
	return p, nil
}

// AddedLast returns the last X-TAXII-Date-Added-Last the server sent, or
// the addedAfter the reader started with when it sent none: where the
// next pull starts.
func (r *Reader) AddedLast() string { return r.last }

// Pages returns how many pages the reader has fetched.
func (r *Reader) Pages() int { return r.pages }

// isObject reports whether b holds a JSON object (or starts like one).
func isObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

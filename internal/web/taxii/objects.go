package taxii

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/store"
)

// query reads the filters and paging parameters of a request on col:
// added_after, limit, next and the match[...] fields allowed.
// defaultLast selects the last version when match[version] is absent.
func (c *call) query(col *Collection, fields []string, defaultLast bool) (store.TAXIIQuery, error) {
	v := c.R.URL.Query()
	q := store.TAXIIQuery{Collection: col.Alias, TLPs: c.tlps(col), Limit: DefaultPage}
	if s := v.Get("added_after"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return q, fail(http.StatusBadRequest, "Bad added_after", "added_after %q is not an RFC 3339 timestamp", s)
		}
		q.AddedAfter = t
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return q, fail(http.StatusBadRequest, "Bad limit", "limit %q is not a positive whole number", s)
		}
		q.Limit = min(n, store.MaxTAXIIPage)
	}
	if s := v.Get("next"); s != "" {
		cur, err := parseNext(s)
		if err != nil {
			return q, fail(http.StatusBadRequest, "Bad next", "next %q is not a token this server gave", s)
		}
		q.After = cur
	}
	list := func(name string) []string {
		var out []string
		for _, s := range v["match["+name+"]"] {
			for _, x := range strings.Split(s, ",") {
				if x = strings.TrimSpace(x); x != "" {
					out = append(out, x)
				}
			}
		}
		return out
	}
	allowed := map[string]bool{}
	for _, f := range fields {
		allowed[f] = true
	}
	if allowed["id"] {
		q.IDs = list("id")
	}
	if allowed["type"] {
		q.Types = list("type")
	}
	if allowed["spec_version"] {
		q.SpecVersions = list("spec_version")
	}
	if !allowed["version"] {
		return q, nil
	}
	versions := list("version")
	if len(versions) == 0 && defaultLast {
		q.Last = true
	}
	for _, s := range versions {
		switch s {
		case "all":
			q.First, q.Last, q.Versions = false, false, nil
			return q, nil
		case "first":
			q.First = true
		case "last":
			q.Last = true
		default:
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return q, fail(http.StatusBadRequest, "Bad match[version]", "match[version] %q is not first, last, all or an RFC 3339 timestamp", s)
			}
			q.Versions = append(q.Versions, t.UTC().Truncate(time.Microsecond))
		}
	}
	return q, nil
}

// nextToken is the opaque paging token of a cursor: the microsecond it
// was added and the row, in base64url.
func nextToken(cur store.TAXIICursor) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%d", cur.Added.UnixMicro(), cur.Seq))
}

func parseNext(s string) (store.TAXIICursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return store.TAXIICursor{}, err
	}
	at, seq, ok := strings.Cut(string(b), ".")
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil || us <= 0 || n <= 0 {
		return store.TAXIICursor{}, errors.New("malformed")
	}
	return store.TAXIICursor{Added: time.UnixMicro(us).UTC(), Seq: n}, nil
}

// page runs q and sets the X-TAXII-Date-Added-First and -Last headers.
func (c *call) page(q store.TAXIIQuery) (store.TAXIIPage, error) {
	p, err := c.a.st.TAXIIObjects(c.R.Context(), q)
	if err != nil {
		return p, err
	}
	if n := len(p.Objects); n > 0 {
		c.W.Header().Set("X-TAXII-Date-Added-First", timestamp(p.Objects[0].Added))
		c.W.Header().Set("X-TAXII-Date-Added-Last", timestamp(p.Objects[n-1].Added))
	}
	return p, nil
}

// writeEnvelope answers the objects of p as a TAXII envelope.
func (c *call) writeEnvelope(p store.TAXIIPage) error {
	var b bytes.Buffer
	b.WriteString(`{"more":`)
	b.WriteString(strconv.FormatBool(p.More))
	if p.More {
		b.WriteString(`,"next":"` + nextToken(p.Next) + `"`)
	}
	if len(p.Objects) > 0 {
		b.WriteString(`,"objects":[`)
		for i, o := range p.Objects {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(o.JSON)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	c.W.Header().Set("Content-Type", MediaType)
	c.W.WriteHeader(http.StatusOK)
	_, err := c.W.Write(b.Bytes())
	return err
}

func (a *api) objects(c *call) error {
	col, err := c.collection(false)
	if err != nil {
		return err
	}
	q, err := c.query(col, []string{"id", "type", "version", "spec_version"}, true)
	if err != nil {
		return err
	}
	p, err := c.page(q)
	if err != nil {
		return err
	}
	return c.writeEnvelope(p)
}

func (a *api) object(c *call) error {
	col, err := c.collection(false)
	if err != nil {
		return err
	}
	q, err := c.query(col, []string{"version", "spec_version"}, true)
	if err != nil {
		return err
	}
	q.IDs = []string{c.R.PathValue("ref")}
	p, err := c.page(q)
	if err != nil {
		return err
	}
	if len(p.Objects) == 0 && q.After.Seq == 0 {
		return fail(http.StatusNotFound, "Object not found", "the collection holds no such object that matches and that you may receive")
	}
	return c.writeEnvelope(p)
}

func (a *api) manifest(c *call) error {
	col, err := c.collection(false)
	if err != nil {
		return err
	}
	q, err := c.query(col, []string{"id", "type", "version", "spec_version"}, true)
	if err != nil {
		return err
	}
	q.NoJSON = true
	p, err := c.page(q)
	if err != nil {
		return err
	}
	type record struct {
		ID        string `json:"id"`
		DateAdded string `json:"date_added"`
		Version   string `json:"version"`
		MediaType string `json:"media_type"`
	}
	out := struct {
		More    bool     `json:"more"`
		Next    string   `json:"next,omitempty"`
		Objects []record `json:"objects,omitempty"`
	}{More: p.More}
	if p.More {
		out.Next = nextToken(p.Next)
	}
	for _, o := range p.Objects {
		out.Objects = append(out.Objects, record{o.ID, timestamp(o.Added), timestamp(o.Version), "application/stix+json;version=" + o.SpecVersion})
	}
	return c.write(http.StatusOK, out)
}

func (a *api) versions(c *call) error {
	col, err := c.collection(false)
	if err != nil {
		return err
	}
	q, err := c.query(col, []string{"spec_version"}, false)
	if err != nil {
		return err
	}
	q.IDs, q.NoJSON = []string{c.R.PathValue("ref")}, true
	p, err := c.page(q)
	if err != nil {
		return err
	}
	if len(p.Objects) == 0 && q.After.Seq == 0 {
		return fail(http.StatusNotFound, "Object not found", "the collection holds no such object that matches and that you may receive")
	}
	out := struct {
		More     bool     `json:"more"`
		Next     string   `json:"next,omitempty"`
		Versions []string `json:"versions"`
	}{More: p.More}
	if p.More {
		out.Next = nextToken(p.Next)
	}
	for _, o := range p.Objects {
		out.Versions = append(out.Versions, timestamp(o.Version))
	}
	return c.write(http.StatusOK, out)
}

func (a *api) delete(c *call) error {
	col, err := c.collection(true)
	if err != nil {
		return err
	}
	q, err := c.query(col, []string{"version", "spec_version"}, false)
	if err != nil {
		return err
	}
	q.IDs = []string{c.R.PathValue("ref")}
	n, err := c.a.st.DeleteTAXIIObjects(c.R.Context(), q)
	if err != nil {
		return err
	}
	if n == 0 {
		return fail(http.StatusNotFound, "Object not found", "the collection holds no such object that matches and that you may receive")
	}
	c.S.Cfg.Log.Info("TAXII object deleted", "collection", col.Alias, "object", q.IDs[0], "versions", n, "user", c.P.User)
	c.W.Header().Set("Content-Type", MediaType)
	c.W.WriteHeader(http.StatusOK)
	return nil
}

// envelope is a POSTed TAXII envelope.
type envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

func (a *api) add(c *call) error {
	col, err := c.collection(true)
	if err != nil {
		return err
	}
	mt, params, err := mime.ParseMediaType(c.R.Header.Get("Content-Type"))
	if err != nil || mt != "application/taxii+json" || (params["version"] != "" && params["version"] != "2.1") {
		return fail(http.StatusUnsupportedMediaType, "Unsupported media type", "POST an envelope as %s", MediaType)
	}
	body, err := io.ReadAll(c.R.Body)
	if err != nil {
		return err
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return fail(http.StatusUnprocessableEntity, "Not an envelope", "the body is not a TAXII envelope: %v", err)
	}
	if env.Objects == nil {
		return fail(http.StatusUnprocessableEntity, "Not an envelope", "the envelope has no objects list")
	}
	now := c.S.Cfg.Now().UTC()
	st := store.TAXIIStatus{ID: newUUID(), Collection: col.Alias, User: c.P.User, Requested: now, Status: "complete",
		Successes: []store.TAXIIStatusDetail{}, Failures: []store.TAXIIStatusDetail{}, Pendings: []store.TAXIIStatusDetail{}}
	// An envelope with an object too large or not an object is refused
	// whole, before anything is stored.
	for i, raw := range env.Objects {
		if len(raw) > MaxObjectSize {
			return fail(http.StatusRequestEntityTooLarge, "Object too large", "object %d of the envelope is %d bytes; this API root takes objects of up to %d", i, len(raw), MaxObjectSize)
		}
		if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
			return fail(http.StatusUnprocessableEntity, "Not an envelope", "item %d of the objects list is not a JSON object", i)
		}
	}
	outcomes, err := Add(c.R.Context(), c.a.st, *col, env.Objects, now)
	if err != nil {
		return err
	}
	for _, o := range outcomes {
		var version string
		if !o.Version.IsZero() {
			version = timestamp(o.Version)
		}
		if o.Stored {
			// A version held already is a success too: the collection has it.
			st.Successes = append(st.Successes, store.TAXIIStatusDetail{ID: o.ID, Version: version})
		} else {
			st.Failures = append(st.Failures, store.TAXIIStatusDetail{ID: o.ID, Version: version, Message: o.Message})
		}
	}
	if err := c.a.st.PutTAXIIStatus(c.R.Context(), st); err != nil {
		return err
	}
	c.S.Cfg.Log.Info("TAXII envelope added", "collection", col.Alias, "status", st.ID, "objects", len(env.Objects),
		"successes", len(st.Successes), "failures", len(st.Failures), "user", c.P.User)
	return c.write(http.StatusAccepted, statusResource(st))
}

// statusResource is st as TAXII writes it.
func statusResource(st store.TAXIIStatus) map[string]any {
	return map[string]any{
		"id": st.ID, "status": st.Status, "request_timestamp": timestamp(st.Requested),
		"total_count":   len(st.Successes) + len(st.Failures) + len(st.Pendings),
		"success_count": len(st.Successes), "successes": st.Successes,
		"failure_count": len(st.Failures), "failures": st.Failures,
		"pending_count": len(st.Pendings), "pendings": st.Pendings,
	}
}

func (a *api) status(c *call) error {
	st, err := c.a.st.TAXIIStatus(c.R.Context(), c.R.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return fail(http.StatusNotFound, "Status not found", "no status %q", c.R.PathValue("id"))
	}
	if err != nil {
		return err
	}
	// The poster reads its status, and so does anyone who may write to
	// the collection; to others it does not exist.
	mine := st.User == c.P.User
	for i := range collections {
		if col := &collections[i]; col.Alias == st.Collection && (mine || c.canWrite(col)) {
			return c.write(http.StatusOK, statusResource(st))
		}
	}
	return fail(http.StatusNotFound, "Status not found", "no status %q", c.R.PathValue("id"))
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

package migrate

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// SchemaVersion is the schema both backends must be at for a move: the
// tables below are those of migrations 1 to 9 of store/sqlite and
// store/postgres. A later migration must be mapped here before migrate
// will move a database that has it.
const SchemaVersion = 10

// kind is how a column is read from SQLite and written to PostgreSQL.
type kind int

const (
	integer kind = iota // INTEGER -> bigint, integer or smallint
	text                // TEXT -> text, checked to be valid UTF-8 without NUL bytes
	blob                // BLOB -> bytea
	boolean             // INTEGER 0/1 -> boolean
)

// column is one column of a table: its name in PostgreSQL and, when it
// differs, the SQLite expression that gives it.
type column struct {
	name string
	kind kind
	src  string
}

// table is one table to move, with the order its rows are read in (its
// primary key, or rowid where it has none).
type table struct {
	name  string
	order string
	cols  []column
	// keyTime prepends the events' partition column, computed from the
	// key (the first column).
	keyTime bool
	// identity marks a table whose id is an identity column in
	// PostgreSQL: its sequence must be moved past the copied ids.
	identity bool
}

func cols(k kind, names ...string) []column {
	out := make([]column, len(names))
	for i, n := range names {
		out[i] = column{name: n, kind: k}
	}
	return out
}

func join(parts ...[]column) []column {
	var out []column
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// tables lists every table of schema version 10 except schema_migrations
// (the destination has its own) and sessions, parents before the tables
// whose foreign keys point at them. Sessions stay behind: they are
// logins of browsers to the source's server, hours long, and hold nothing
// but the hash of a cookie's secret; copied, they would keep those
// browsers logged in to a server they never logged in to. After a move
// everyone logs in again. The column names are the same in both schemas;
// what differs is the type of flags (integer 0/1 in SQLite, boolean in
// PostgreSQL), the events' key_time (PostgreSQL only) and the rejections'
// id (SQLite's rowid, an identity column in PostgreSQL). NULLs are copied
// as NULLs: both backends store an event's empty strings and zero numbers
// as NULL.
var tables = []table{
	{name: "ipdbs", order: "id", identity: true, cols: join(
		cols(integer, "id"), cols(text, "name"), cols(integer, "loaded"), cols(boolean, "active"), cols(blob, "data"))},
	{name: "ingests", order: "id", identity: true, cols: join(
		cols(integer, "id", "ipdb_id"), cols(text, "path", "format", "feed"), cols(integer, "started", "finished"),
		cols(text, "status"), cols(integer, "records", "accepted", "duplicates", "rejected", "observations", "kept"))},
	{name: "rejections", order: "rowid", identity: true, cols: join(
		[]column{{name: "id", kind: integer, src: "rowid"}}, cols(integer, "ingest_id", "line"), cols(text, "reason"), cols(blob, "key"))},
	{name: "events", order: "id", keyTime: true, cols: join(
		cols(blob, "key"), cols(text, "class"), cols(integer, "time"), cols(text, "feed"),
		cols(blob, "src_ip"), cols(text, "src_cc"), cols(integer, "src_asn", "src_flags"),
		cols(blob, "dst_ip"), cols(text, "dst_cc"), cols(integer, "dst_asn", "dst_flags"),
		cols(text, "malware"), cols(integer, "tlp", "ingest_id"), cols(blob, "doc"))},
	{name: "facts", order: "day, role, ip, class, malware, peer, feed", cols: join(
		cols(integer, "day", "role"), cols(blob, "ip"), cols(text, "class", "malware"), cols(blob, "peer"),
		cols(text, "feed", "peer_cc", "cc"), cols(integer, "asn", "flags", "events"), cols(text, "as_name"))},
	{name: "feed_days", order: "day, feed, ipdb_id", cols: join(
		cols(integer, "day"), cols(text, "feed"), cols(integer, "ipdb_id", "incidents", "observations", "max_tlp"))},
	{name: "list_entries", order: "kind, lo, hi, valid_from", cols: join(
		cols(integer, "kind"), cols(blob, "lo", "hi"), cols(integer, "valid_from", "valid_to"), cols(text, "source"))},
	{name: "list_snapshot", order: "id", cols: join(cols(integer, "id"), cols(blob, "data"))},
	{name: "agencies", order: "id", cols: join(
		cols(text, "id", "name", "country"), cols(boolean, "self"), cols(text, "contact", "channels", "public_key"),
		cols(integer, "created"))},
	{name: "users", order: "name", cols: join(
		cols(text, "name", "full_name", "agency", "roles"), cols(integer, "clearance"), cols(text, "password_hash"),
		cols(boolean, "must_change", "disabled"), cols(integer, "created", "updated"))},
	{name: "api_tokens", order: "id", cols: join(
		cols(text, "id", "user_name", "name"), cols(blob, "hash"), cols(integer, "created", "expires"), cols(boolean, "revoked"))},
	{name: "victim_reports", order: "reference", cols: join(
		cols(text, "reference"), cols(integer, "received"), cols(text, "status"), cols(integer, "status_changed", "tlp"),
		cols(text, "body"))},
	{name: "cases", order: "id", cols: join(
		cols(integer, "id"), cols(text, "title"), cols(integer, "tlp"), cols(text, "pap", "status"),
		cols(integer, "opened", "closed", "version"))},
	{name: "case_items", order: "case_id, kind, ref", cols: join(
		cols(integer, "case_id"), cols(text, "kind", "ref"), cols(integer, "added", "tlp"), cols(text, "note"))},
	{name: "evidence", order: "id", cols: join(
		cols(integer, "id", "case_id"), cols(text, "sha256"), cols(integer, "size"), cols(text, "name", "description"),
		cols(integer, "tlp", "acquired"), cols(text, "acquired_by"), cols(boolean, "legal_hold"))},
	{name: "custody", order: "evidence_id, seq", cols: join(
		cols(integer, "evidence_id", "seq", "time"), cols(text, "action", "actor", "purpose"))},
	// follow_up points at a later request: PostgreSQL checks foreign keys
	// at the end of the COPY statement, when every request is there.
	{name: "requests", order: "id", cols: join(
		cols(integer, "id", "case_id"), cols(text, "direction", "type", "from_agency", "to_agency", "status", "fields"),
		cols(integer, "tlp", "created", "submitted", "accepted", "due", "preserved_until", "extensions", "follow_up"),
		cols(text, "remote_id"), cols(integer, "version", "updated"))},
	{name: "request_history", order: "request_id, seq", cols: join(
		cols(integer, "request_id", "seq", "time"), cols(text, "from_status", "to_status", "reason", "actor"))},
	{name: "packages_seen", order: "id", cols: join(
		cols(text, "id", "from_agency", "kind"), cols(integer, "imported"))},
	// The audit log is copied as it is, in seq order: its hashes cover the
	// exact bytes, and nothing is sealed again.
	{name: "audit", order: "seq", cols: join(
		cols(integer, "seq", "time"), cols(text, "actor", "action", "object", "detail"), cols(blob, "prev", "hash"))},
	{name: "audit_head", order: "id", cols: join(cols(integer, "id", "seq"), cols(blob, "hash"))},
	{name: "taxii_collections", order: "id", cols: join(cols(text, "id"), cols(integer, "last_added"))},
	{name: "taxii_objects", order: "id", identity: true, cols: join(
		cols(integer, "id"), cols(text, "collection", "object_id"), cols(integer, "version"), cols(text, "type", "spec_version"),
		cols(integer, "added", "tlp"), cols(boolean, "first", "last"), cols(blob, "object"))},
	{name: "taxii_status", order: "id", cols: join(
		cols(text, "id", "collection", "user_name"), cols(integer, "requested"), cols(text, "status", "details"))},
}

// selectSQL is the query that reads t from SQLite.
func (t *table) selectSQL() string {
	exprs := make([]string, len(t.cols))
	for i, c := range t.cols {
		exprs[i] = c.name
		if c.src != "" {
			exprs[i] = c.src
		}
	}
	return "SELECT " + strings.Join(exprs, ", ") + " FROM " + t.name + " ORDER BY " + t.order
}

// destColumns are the PostgreSQL columns COPY fills, in the order values
// gives them.
func (t *table) destColumns() []string {
	var out []string
	if t.keyTime {
		out = append(out, "key_time")
	}
	for _, c := range t.cols {
		out = append(out, c.name)
	}
	return out
}

// convert turns the value SQLite gave for c into the one PostgreSQL
// stores. SQLite's columns take any type; a value of the wrong one is an
// error naming the column rather than a silent conversion.
func (c *column) convert(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.kind {
	case integer, boolean:
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("column %s holds %T, not an integer", c.name, v)
		}
		if c.kind == boolean {
			return n != 0, nil
		}
		return n, nil
	case text:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			s = string(x)
		default:
			return nil, fmt.Errorf("column %s holds %T, not text", c.name, v)
		}
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return nil, fmt.Errorf("column %s holds %q, which is not valid UTF-8 text (PostgreSQL cannot store it): correct the row in the source", c.name, s)
		}
		return s, nil
	default:
		switch x := v.(type) {
		case []byte:
			if x == nil {
				x = []byte{} // an empty blob, not NULL
			}
			return x, nil
		case string:
			return []byte(x), nil
		}
		return nil, fmt.Errorf("column %s holds %T, not a blob", c.name, v)
	}
}

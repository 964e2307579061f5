package sqlite

// migrations are applied in order, each in its own transaction, and
// recorded in schema_migrations. Never edit one that has shipped; append.
//
// An event row holds the columns searches and statistics filter on; doc
// holds the whole event, raw record included (store.DocEncoder). class is
// NULL for observations; time is the event's time (time.source, else
// time.observation) in microseconds; the IP database that enriched a run's
// events is recorded on the run.
//
// Events live in a rowid table with a separate unique index on the key
// rather than in a table clustered by key: the two are alike for
// time-ordered sensor logs, but when keys arrive in random order (a list
// of addresses with date-only times) every insert into a clustered table
// rewrites a page holding whole documents, and ingest was twice as slow.
// Keeping the row narrow matters: with the pure-Go driver every bound column
// costs, and ingest speed is bounded by this one writer.
//
// Addresses are 16-byte BLOBs (IPv4 as IPv4-mapped IPv6), so that ranges
// compare bytewise and one column holds both families. Times are integer
// microseconds (events) or seconds (lists) since 1970 UTC; days are days
// since 1970. Empty strings are stored as NULL to keep rows small.
var migrations = []string{
	// 1: events, facts, ingest runs, rejections, IP databases, relay lists.
	`
CREATE TABLE events (
	id        INTEGER PRIMARY KEY,
	key       BLOB    NOT NULL UNIQUE,
	class     TEXT,
	time      INTEGER NOT NULL,
	feed      TEXT    NOT NULL,
	src_ip    BLOB,
	src_cc    TEXT,
	src_asn   INTEGER,
	src_flags INTEGER,
	dst_ip    BLOB,
	dst_cc    TEXT,
	dst_asn   INTEGER,
	dst_flags INTEGER,
	malware   TEXT,
	tlp       INTEGER NOT NULL,
	ingest_id INTEGER,
	doc       BLOB    NOT NULL
);

CREATE TABLE facts (
	day     INTEGER NOT NULL,
	role    INTEGER NOT NULL,
	ip      BLOB    NOT NULL,
	class   TEXT    NOT NULL,
	malware TEXT    NOT NULL,
	peer    BLOB    NOT NULL,
	feed    TEXT    NOT NULL,
	peer_cc TEXT    NOT NULL,
	cc      TEXT    NOT NULL,
	asn     INTEGER NOT NULL,
	flags   INTEGER NOT NULL,
	events  INTEGER NOT NULL,
	PRIMARY KEY (day, role, ip, class, malware, peer, feed)
) WITHOUT ROWID;

CREATE TABLE ingests (
	id           INTEGER PRIMARY KEY,
	ipdb_id      INTEGER,
	path         TEXT    NOT NULL,
	format       TEXT    NOT NULL,
	feed         TEXT    NOT NULL,
	started      INTEGER NOT NULL,
	finished     INTEGER,
	status       TEXT    NOT NULL,
	records      INTEGER NOT NULL DEFAULT 0,
	accepted     INTEGER NOT NULL DEFAULT 0,
	duplicates   INTEGER NOT NULL DEFAULT 0,
	rejected     INTEGER NOT NULL DEFAULT 0,
	observations INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE rejections (
	ingest_id INTEGER NOT NULL REFERENCES ingests(id),
	line      INTEGER NOT NULL,
	reason    TEXT    NOT NULL
);
CREATE INDEX rejections_ingest ON rejections(ingest_id, line);

CREATE TABLE ipdbs (
	id     INTEGER PRIMARY KEY,
	name   TEXT    NOT NULL UNIQUE,
	loaded INTEGER NOT NULL,
	active INTEGER NOT NULL DEFAULT 0,
	data   BLOB
);

CREATE TABLE list_entries (
	kind       INTEGER NOT NULL,
	lo         BLOB    NOT NULL,
	hi         BLOB    NOT NULL,
	valid_from INTEGER NOT NULL,
	valid_to   INTEGER NOT NULL,
	source     TEXT    NOT NULL,
	PRIMARY KEY (kind, lo, hi, valid_from)
) WITHOUT ROWID;
`,
	// 2: a per-day, per-feed count of stored events, so a report can say
	// how many records of which feed its figures rest on, and which IP
	// databases enriched them, without scanning events.
	`
CREATE TABLE feed_days (
	day          INTEGER NOT NULL,
	feed         TEXT    NOT NULL,
	ipdb_id      INTEGER NOT NULL,
	incidents    INTEGER NOT NULL,
	observations INTEGER NOT NULL,
	PRIMARY KEY (day, feed, ipdb_id)
) WITHOUT ROWID;

INSERT INTO feed_days (day, feed, ipdb_id, incidents, observations)
	SELECT e.time / 86400000000, e.feed, COALESCE(i.ipdb_id, 0),
		SUM(e.class IS NOT NULL), SUM(e.class IS NULL)
	FROM events e LEFT JOIN ingests i ON i.id = e.ingest_id
	GROUP BY 1, 2, 3;
`,
	// 3: the AS name beside the AS number, as the IP database spelled it
	// when the fact was written, so reports need not load the database.
	`ALTER TABLE facts ADD COLUMN as_name TEXT NOT NULL DEFAULT '';`,
	// 4: the relay lists as one blob (store.EncodeListSnapshot), rewritten
	// with every import, so loading them does not read row by row.
	`CREATE TABLE list_snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), data BLOB NOT NULL);`,
	// 5: casework — agencies, victim reports, cases, evidence and its
	// custody, requests for assistance with their history, the packages
	// imported (against replay), and the hash-chained audit log with its
	// head kept beside it. Times are Unix microseconds.
	`
CREATE TABLE agencies (
	id         TEXT    PRIMARY KEY,
	name       TEXT    NOT NULL,
	country    TEXT    NOT NULL,
	self       INTEGER NOT NULL DEFAULT 0,
	contact    TEXT    NOT NULL DEFAULT '',
	channels   TEXT    NOT NULL DEFAULT '',
	public_key TEXT    NOT NULL DEFAULT '',
	created    INTEGER NOT NULL
);
CREATE UNIQUE INDEX agencies_self ON agencies(self) WHERE self = 1;

CREATE TABLE victim_reports (
	reference      TEXT    PRIMARY KEY,
	received       INTEGER NOT NULL,
	status         TEXT    NOT NULL,
	status_changed INTEGER NOT NULL,
	tlp            INTEGER NOT NULL,
	body           TEXT    NOT NULL
);

CREATE TABLE cases (
	id      INTEGER PRIMARY KEY,
	title   TEXT    NOT NULL,
	tlp     INTEGER NOT NULL,
	pap     TEXT    NOT NULL,
	status  TEXT    NOT NULL,
	opened  INTEGER NOT NULL,
	closed  INTEGER,
	version INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE case_items (
	case_id INTEGER NOT NULL REFERENCES cases(id),
	kind    TEXT    NOT NULL,
	ref     TEXT    NOT NULL,
	added   INTEGER NOT NULL,
	tlp     INTEGER NOT NULL,
	note    TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (case_id, kind, ref)
) WITHOUT ROWID;

CREATE TABLE evidence (
	id          INTEGER PRIMARY KEY,
	case_id     INTEGER NOT NULL REFERENCES cases(id),
	sha256      TEXT    NOT NULL,
	size        INTEGER NOT NULL,
	name        TEXT    NOT NULL,
	description TEXT    NOT NULL DEFAULT '',
	tlp         INTEGER NOT NULL,
	acquired    INTEGER NOT NULL,
	acquired_by TEXT    NOT NULL,
	legal_hold  INTEGER NOT NULL DEFAULT 0,
	UNIQUE (case_id, sha256)
);

CREATE TABLE custody (
	evidence_id INTEGER NOT NULL REFERENCES evidence(id),
	seq         INTEGER NOT NULL,
	time        INTEGER NOT NULL,
	action      TEXT    NOT NULL,
	actor       TEXT    NOT NULL,
	purpose     TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (evidence_id, seq)
) WITHOUT ROWID;

CREATE TABLE requests (
	id              INTEGER PRIMARY KEY,
	case_id         INTEGER REFERENCES cases(id),
	direction       TEXT    NOT NULL,
	type            TEXT    NOT NULL,
	from_agency     TEXT    NOT NULL,
	to_agency       TEXT    NOT NULL,
	status          TEXT    NOT NULL,
	fields          TEXT    NOT NULL,
	tlp             INTEGER NOT NULL,
	created         INTEGER NOT NULL,
	submitted       INTEGER,
	accepted        INTEGER,
	due             INTEGER,
	preserved_until INTEGER,
	extensions      INTEGER NOT NULL DEFAULT 0,
	follow_up       INTEGER REFERENCES requests(id),
	remote_id       TEXT    UNIQUE,
	version         INTEGER NOT NULL DEFAULT 1,
	updated         INTEGER NOT NULL
);

CREATE TABLE request_history (
	request_id  INTEGER NOT NULL REFERENCES requests(id),
	seq         INTEGER NOT NULL,
	time        INTEGER NOT NULL,
	from_status TEXT    NOT NULL,
	to_status   TEXT    NOT NULL,
	reason      TEXT    NOT NULL DEFAULT '',
	actor       TEXT    NOT NULL,
	PRIMARY KEY (request_id, seq)
) WITHOUT ROWID;

CREATE TABLE packages_seen (
	id          TEXT    PRIMARY KEY,
	from_agency TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	imported    INTEGER NOT NULL
);

CREATE TABLE audit (
	seq    INTEGER PRIMARY KEY,
	time   INTEGER NOT NULL,
	actor  TEXT    NOT NULL,
	action TEXT    NOT NULL,
	object TEXT    NOT NULL,
	detail TEXT    NOT NULL,
	prev   BLOB    NOT NULL,
	hash   BLOB    NOT NULL
);
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash BLOB    NOT NULL
);
`,
	// 6: a key on rejections that arrive through the stream, so a message
	// redelivered after its worker died is not stored twice.
	`ALTER TABLE rejections ADD COLUMN key BLOB;
CREATE UNIQUE INDEX rejections_key ON rejections(key) WHERE key IS NOT NULL;`,
	// 7: accounts — staff users with their roles and clearance (a TLP),
	// API tokens and browser sessions. Roles are comma-separated role
	// names. Secrets are kept only as hashes: an argon2id PHC string for
	// passwords, SHA-256 for tokens and session ids. Times are Unix
	// microseconds; a token without expiry has NULL.
	`
CREATE TABLE users (
	name          TEXT    PRIMARY KEY,
	full_name     TEXT    NOT NULL DEFAULT '',
	agency        TEXT    NOT NULL DEFAULT '',
	roles         TEXT    NOT NULL DEFAULT '',
	clearance     INTEGER NOT NULL,
	password_hash TEXT    NOT NULL DEFAULT '',
	must_change   INTEGER NOT NULL DEFAULT 0,
	disabled      INTEGER NOT NULL DEFAULT 0,
	created       INTEGER NOT NULL,
	updated       INTEGER NOT NULL
);

CREATE TABLE api_tokens (
	id        TEXT    PRIMARY KEY,
	user_name TEXT    NOT NULL REFERENCES users(name),
	name      TEXT    NOT NULL DEFAULT '',
	hash      BLOB    NOT NULL,
	created   INTEGER NOT NULL,
	expires   INTEGER,
	revoked   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens(user_name, id);

CREATE TABLE sessions (
	id_hash   BLOB    PRIMARY KEY,
	user_name TEXT    NOT NULL REFERENCES users(name),
	csrf      TEXT    NOT NULL,
	created   INTEGER NOT NULL,
	expires   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_name);
CREATE INDEX sessions_expires ON sessions(expires);
`,
	// 8: the strictest TLP among each day's events per feed, so that the
	// marking a report inherits (DESIGN.md: derived data carries the
	// strictest marking of its inputs) is read without scanning events.
	// Existing rows get theirs from one pass over the events.
	`
ALTER TABLE feed_days ADD COLUMN max_tlp INTEGER NOT NULL DEFAULT 0;
CREATE TEMP TABLE feed_day_tlp AS
	SELECT e.time / 86400000000 AS day, e.feed AS feed, COALESCE(i.ipdb_id, 0) AS ipdb_id, MAX(e.tlp) AS tlp
	FROM events e LEFT JOIN ingests i ON i.id = e.ingest_id
	GROUP BY 1, 2, 3;
CREATE INDEX temp.feed_day_tlp_key ON feed_day_tlp(day, feed, ipdb_id);
UPDATE feed_days SET max_tlp = COALESCE((SELECT t.tlp FROM feed_day_tlp t
	WHERE t.day = feed_days.day AND t.feed = feed_days.feed AND t.ipdb_id = feed_days.ipdb_id), 0);
DROP TABLE temp.feed_day_tlp;
`,
	// 9: the TAXII server's collections: each object version with the
	// fields TAXII filters on, ordered by the strictly increasing time it
	// was added (taxii_collections keeps each collection's high-water
	// mark, so a version added later never sorts before one a client has
	// paged past, even after deletions); and the status of POSTed
	// envelopes.
	`
CREATE TABLE taxii_collections (
	id         TEXT    PRIMARY KEY,
	last_added INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE taxii_objects (
	id           INTEGER PRIMARY KEY,
	collection   TEXT    NOT NULL,
	object_id    TEXT    NOT NULL,
	version      INTEGER NOT NULL,
	type         TEXT    NOT NULL,
	spec_version TEXT    NOT NULL,
	added        INTEGER NOT NULL,
	tlp          INTEGER NOT NULL,
	first        INTEGER NOT NULL,
	last         INTEGER NOT NULL,
	object       BLOB    NOT NULL,
	UNIQUE (collection, object_id, version)
);
CREATE INDEX taxii_objects_page ON taxii_objects(collection, tlp, added, id, last, first);

CREATE TABLE taxii_status (
	id         TEXT    PRIMARY KEY,
	collection TEXT    NOT NULL,
	user_name  TEXT    NOT NULL,
	requested  INTEGER NOT NULL,
	status     TEXT    NOT NULL,
	details    TEXT    NOT NULL
) WITHOUT ROWID;
`,
	// 10: the count of records an ingest run kept only as received
	// objects (the STIX objects of an imported bundle, stored into their
	// collection in the batch's transaction), so an interrupted run says
	// how far it got.
	`ALTER TABLE ingests ADD COLUMN kept INTEGER NOT NULL DEFAULT 0;`,
}

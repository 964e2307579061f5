// Package pgtest gives tests a PostgreSQL database of their own: created
// empty on the server CONCORD_TEST_POSTGRES names, dropped when the test
// ends. Tests that need PostgreSQL are skipped, saying how to run them,
// when the variable is unset; CI sets it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// ServerEnv names the environment variable with the URL of a server where
// tests may create and drop databases.
const ServerEnv = "CONCORD_TEST_POSTGRES"

// Database creates an empty database concord_test_<random hex>, drops it at
// the end of tb, and returns its URL. Where the server has ICU the database
// sorts text linguistically ("a" < "B" < "b"), so a query that orders text
// by the database's collation instead of by bytes, as SQLite does, shows up
// as a difference between the backends.
func Database(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv(ServerEnv)
	if admin == "" {
		tb.Skipf("%s is not set: to run the PostgreSQL tests, set it to a server where they may create databases, e.g. %s=postgres://postgres@127.0.0.1:5432/postgres", ServerEnv, ServerEnv)
	}
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("%s: %v", ServerEnv, err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("connect to %s: %v", ServerEnv, err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 8)
	rand.Read(b)
	name := "concord_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"); err != nil {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			tb.Fatalf("create database: %v", err)
		}
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("connect to drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/billing/customers-api/internal/pgtest"
	"github.com/billing/customers-api/internal/postgres"
)

func TestOpenTurnsJITOffUnlessTold(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, url := pgtest.NewDBURL(t)
	for _, c := range []struct{ dsn, want string }{
		{url, "off"},
		{url + map[bool]string{true: "&", false: "?"}[strings.Contains(url, "?")] + "jit=on", "on"},
	} {
		db, err := postgres.Open(ctx, c.dsn, postgres.Settings{MaxConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		var jit string
		if err := db.GetContext(ctx, &jit, `SHOW jit`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if jit != c.want {
			t.Errorf("Open(%q): jit = %s, want %s", c.dsn, jit, c.want)
		}
	}
}

// Open's StatementTimeout is every session's statement_timeout, and no
// setting leaves the server's default (0, none).
func TestOpenSetsTheStatementTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, url := pgtest.NewDBURL(t)
	for _, c := range []struct {
		set  postgres.Settings
		want string
	}{
		{postgres.Settings{MaxConns: 2, StatementTimeout: 1500 * time.Millisecond}, "1500ms"},
		{postgres.Settings{MaxConns: 2, StatementTimeout: 3 * time.Second}, "3s"},
		{postgres.Settings{MaxConns: 2}, "0"},
	} {
		db, err := postgres.Open(ctx, url, c.set)
		if err != nil {
			t.Fatal(err)
		}
		// Every connection of the pool, not only the first: hold two at once.
		var got []string
		for _, conn := range []*sqlx.Conn{mustConn(t, db), mustConn(t, db)} {
			var timeout string
			if err := conn.GetContext(ctx, &timeout, `SHOW statement_timeout`); err != nil {
				t.Fatal(err)
			}
			got = append(got, timeout)
			conn.Close()
		}
		db.Close()
		for _, timeout := range got {
			if timeout != c.want {
				t.Errorf("Open with %+v: statement_timeout = %s, want %s", c.set, timeout, c.want)
			}
		}
	}
	// The timeout is enforced: a statement running longer is cancelled.
	db, err := postgres.Open(ctx, url, postgres.Settings{MaxConns: 1, StatementTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `SELECT pg_sleep(5)`); err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Errorf("a 5 s statement under a 100 ms timeout: %v, want cancelled", err)
	}
}

func mustConn(t *testing.T, db *sqlx.DB) *sqlx.Conn {
	t.Helper()
	conn, err := db.Connx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

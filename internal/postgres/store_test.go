package postgres_test

import (
	"context"
	"strings"
	"testing"

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
		db, err := postgres.Open(ctx, c.dsn, 2)
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

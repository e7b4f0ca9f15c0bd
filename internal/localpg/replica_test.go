package localpg

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// TestStartReplica: a replica of a Fast cluster streams what the primary
// writes, refuses writes of its own, and is gone after Stop; the primary
// serves on after its replica stopped.
func TestStartReplica(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	p, err := Start(ctx, Options{Fast: true, Log: func(m string) { t.Log(m) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop() })
	pdb := open(t, p.URL("postgres"))
	if _, err := pdb.ExecContext(ctx, "CREATE TABLE t (v int); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}

	began := time.Now()
	r, err := p.StartReplica(ctx, ReplicaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("StartReplica took %s", time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() { _ = r.Stop() })
	if r.URL("postgres") == p.URL("postgres") {
		t.Fatalf("replica and primary share the URL %s", r.URL("postgres"))
	}
	rdb := open(t, r.URL("postgres"))
	var standby bool
	if err := rdb.QueryRowContext(ctx, "SELECT pg_is_in_recovery()").Scan(&standby); err != nil || !standby {
		t.Fatalf("replica: pg_is_in_recovery() = %v, %v", standby, err)
	}
	if got := count(t, rdb); got != 1 {
		t.Errorf("replica has %d rows right after the copy, want 1", got)
	}

	// A later write arrives by streaming.
	if _, err := pdb.ExecContext(ctx, "INSERT INTO t VALUES (2)"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { return count(t, rdb) == 2 })
	var streaming int
	if err := pdb.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'").Scan(&streaming); err != nil || streaming != 1 {
		t.Errorf("primary sees %d streaming replicas (%v), want 1", streaming, err)
	}
	if _, err := rdb.ExecContext(ctx, "INSERT INTO t VALUES (3)"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("a write on the replica: %v, want a read-only error", err)
	}

	if err := r.Stop(); err != nil {
		t.Fatalf("Stop replica: %v", err)
	}
	if _, err := os.Stat(r.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("replica dir %s still there after Stop (stat: %v)", r.dir, err)
	}
	if _, err := pdb.ExecContext(ctx, "INSERT INTO t VALUES (4)"); err != nil {
		t.Errorf("primary after its replica stopped: %v", err)
	}
}

// TestStartReplicaApplyDelay: with an apply delay the replica shows a
// commit only once the delay has passed.
func TestStartReplicaApplyDelay(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// synchronous_commit on: the commit record is in the WAL the replica
	// is sent when the INSERT returns, so the delay counts from then.
	p, err := Start(ctx, Options{Fast: true, Settings: []string{"synchronous_commit = on"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop() })
	pdb := open(t, p.URL("postgres"))
	if _, err := pdb.ExecContext(ctx, "CREATE TABLE t (v int)"); err != nil {
		t.Fatal(err)
	}
	const delay = time.Second
	r, err := p.StartReplica(ctx, ReplicaOptions{ApplyDelay: delay})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop() })
	rdb := open(t, r.URL("postgres"))
	var setting string
	if err := rdb.QueryRowContext(ctx, "SELECT current_setting('recovery_min_apply_delay')").Scan(&setting); err != nil || setting != "1s" {
		t.Fatalf("replica's recovery_min_apply_delay = %q, %v; want 1s", setting, err)
	}
	// The table's own commit may still be held back.
	waitFor(t, 10*time.Second, func() bool {
		var ok bool
		return rdb.QueryRowContext(ctx, "SELECT to_regclass('t') IS NOT NULL").Scan(&ok) == nil && ok
	})

	wrote := time.Now()
	if _, err := pdb.ExecContext(ctx, "INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if got := count(t, rdb); got != 0 {
		t.Errorf("replica shows the insert at once, despite a %s apply delay", delay)
	}
	waitFor(t, 10*time.Second, func() bool { return count(t, rdb) == 1 })
	if took := time.Since(wrote); took < delay-50*time.Millisecond {
		t.Errorf("the insert reached the replica after %s, before the %s delay", took, delay)
	} else {
		t.Logf("the insert reached the replica after %s (apply delay %s)", took.Round(time.Millisecond), delay)
	}
}

func TestStartReplicaNeedsAStartedCluster(t *testing.T) {
	var c Cluster
	if _, err := c.StartReplica(context.Background(), ReplicaOptions{}); err == nil {
		t.Fatal("StartReplica of a cluster that was not started succeeded")
	}
}

func count(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not so after %s", limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package pgtest

import (
	"testing"
	"time"
)

// TestNewReplicated: the replica has the migrated schema, follows the
// primary's writes, refuses its own, and two tests on the shared pair get
// databases of their own.
func TestNewReplicated(t *testing.T) {
	t.Parallel()
	began := time.Now()
	a := NewReplicated(t)
	t.Logf("first NewReplicated (shared pair started) took %s", time.Since(began).Round(time.Millisecond))
	began = time.Now()
	b := NewReplicated(t)
	t.Logf("second NewReplicated took %s", time.Since(began).Round(time.Millisecond))
	if a.PrimaryURL == b.PrimaryURL || a.ReplicaURL == b.ReplicaURL || a.PrimaryURL == a.ReplicaURL {
		t.Fatalf("URLs not distinct: %s %s %s %s", a.PrimaryURL, a.ReplicaURL, b.PrimaryURL, b.ReplicaURL)
	}
	if n := countCustomers(t, a.Replica); n != 0 {
		t.Fatalf("a fresh replicated database has %d customers", n)
	}
	insertCustomer(t, a.Primary, "ada")
	a.CatchUp(t)
	if n := countCustomers(t, a.Replica); n != 1 {
		t.Errorf("replica has %d customers after catching up, want 1", n)
	}
	if n := countCustomers(t, b.Replica); n != 0 {
		t.Errorf("the other test's replica database has %d customers, want 0", n)
	}
	if _, err := a.Replica.ExecContext(t.Context(), "DELETE FROM customers"); err == nil {
		t.Error("a write on the replica succeeded")
	}
	var sync string
	if err := a.Primary.GetContext(t.Context(), &sync, "SHOW synchronous_commit"); err != nil || sync != "on" {
		t.Errorf("primary's synchronous_commit = %q, %v; want on", sync, err)
	}
}

// TestNewReplicatedOwnStops: an Own pair's replica can be stopped while
// its primary serves on.
func TestNewReplicatedOwnStops(t *testing.T) {
	t.Parallel()
	began := time.Now()
	r := NewReplicated(t, ReplicatedOptions{Own: true})
	t.Logf("NewReplicated (own pair) took %s", time.Since(began).Round(time.Millisecond))
	r.StopReplica(t)
	if err := r.Replica.PingContext(t.Context()); err == nil {
		t.Error("the stopped replica answers")
	}
	insertCustomer(t, r.Primary, "ada")
}

package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/billing/customers-api/internal/customers"
)

// Replica reads. With a streaming replica (WithReplica), the collection
// queries read there behind a fence that keeps every acknowledged write
// visible: the call reads the primary's WAL position first (one cheap
// round trip), waits until the replica has replayed that far, and only
// then runs its query on the replica. A write acknowledged to any client,
// by any node, committed before that position was read, so the replica
// shows it. When the replica has not caught up within the fence timeout,
// has no free connection, fails or is down, the call runs on the primary
// as it would without a replica: a replica can make a read slower by at
// most the fence timeout, never stale, never failed. Writes, transactions
// and everything else never touch the replica.

// Why a read falls back to the primary (ReadMetrics.Fallback).
const (
	// FallbackLag: the replica had not replayed the primary's position
	// within the fence timeout.
	FallbackLag = "lag"
	// FallbackBusy: no connection to the replica came free within the
	// fence timeout.
	FallbackBusy = "busy"
	// FallbackError: the replica failed: it refused the connection, its
	// query failed (a conflict with recovery, say), or it is no standby.
	FallbackError = "error"
	// FallbackDown: the replica failed less than replicaRest ago and was
	// not tried.
	FallbackDown = "down"
)

// FallbackReasons lists every reason ReadMetrics.Fallback is called with.
var FallbackReasons = []string{FallbackLag, FallbackBusy, FallbackError, FallbackDown}

// DefaultFenceTimeout is WithReplica's fence timeout when given none.
const DefaultFenceTimeout = 50 * time.Millisecond

// replicaRest is how long the reads leave a failed replica alone before
// one tries it again, so that a replica that is down costs the reads
// nothing (not even a refused connection, let alone a connect timeout).
const replicaRest = time.Second

// ReadMetrics receive what replica reads do; nil functions are not called.
// They are called on the read's own goroutine and must not block.
type ReadMetrics struct {
	// FenceWait gets how long a read waited for the fence: the primary's
	// position read, a replica connection and the replay; whether the
	// read then ran on the replica or not.
	FenceWait func(time.Duration)
	// Fallback gets the reason (one of FallbackReasons) of each read that
	// went to the primary instead of the replica.
	Fallback func(reason string)
}

// replica is the store's streaming replica.
type replica struct {
	db      *dbQuerier
	gate    *gate
	timeout time.Duration
	// restUntil is when a failed replica is tried again (Unix ns); 0 when
	// it has not failed.
	restUntil atomic.Int64
}

// WithReplica sends the store's collection queries (customers, tags,
// timelines, tokens, webhooks, deliveries) to db, a streaming replica of
// the store's database, behind the fence described above; fenceTimeout
// (<= 0: DefaultFenceTimeout) bounds the wait for a replica connection
// and for the replay before a read goes to the primary instead. db must
// be one server (a pooler in front of one standby will do, a balancer
// over several will not: the replay is checked on one connection and the
// query may run on another). Single reads by key stay on the primary: the
// fence would cost them more than the replica saves.
func WithReplica(db *sqlx.DB, fenceTimeout time.Duration) Option {
	if fenceTimeout <= 0 {
		fenceTimeout = DefaultFenceTimeout
	}
	return func(s *Store) {
		s.replica = &replica{
			db:      &dbQuerier{db: db.DB, stmts: newStmtCache(maxCachedStatements)},
			gate:    newGate(db.Stats().MaxOpenConnections, fenceTimeout),
			timeout: fenceTimeout,
		}
	}
}

// WithReadMetrics has the replica reads report to m.
func WithReadMetrics(m ReadMetrics) Option { return func(s *Store) { s.readMetrics = m } }

// OpenReplica opens a pool to the replica at dsn with Open's sessions and
// sizing, without checking that it answers: a replica that is down when
// the service starts is tried by the reads (every replicaRest) and
// reported by ReplicaStatus, and the reads go to the primary meanwhile.
func OpenReplica(dsn string, set Settings) (*sqlx.DB, error) {
	return openPool(dsn, set)
}

// read runs fn, a call of reads only, as do does, on the replica behind
// the fence when the store has one and ctx is in no transaction, else on
// the primary. fn may run twice: when it fails on the replica in a way
// the primary may not (a connection lost, a conflict with recovery) and
// restartable (nil: always) says nothing of its work has reached its
// caller yet, it runs again on the primary.
func (s *Store) read(ctx context.Context, restartable func() bool, fn func(ctx context.Context, q querier) error) error {
	r := s.replica
	if r == nil || ambientFrom(ctx) != nil {
		return s.do(ctx, fn)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	reason, err := s.readReplica(ctx, r, restartable, fn)
	if reason == "" {
		return err
	}
	if s.readMetrics.Fallback != nil {
		s.readMetrics.Fallback(reason)
	}
	return s.do(ctx, fn)
}

// readPage is read for a call that writes a page to w: it runs again on
// the primary only when nothing reached w on the replica.
func (s *Store) readPage(ctx context.Context, w customers.PageWriter, fn func(ctx context.Context, q querier, w customers.PageWriter) error) error {
	if s.replica == nil {
		return s.do(ctx, func(ctx context.Context, q querier) error { return fn(ctx, q, w) })
	}
	var p *startedPage
	return s.read(ctx, func() bool { return !p.started }, func(ctx context.Context, q querier) error {
		p = &startedPage{PageWriter: w}
		return fn(ctx, q, p)
	})
}

// startedPage is a PageWriter that knows whether it was written to.
type startedPage struct {
	customers.PageWriter
	started bool
}

func (p *startedPage) Begin(total int64) error {
	p.started = true
	return p.PageWriter.Begin(total)
}

// readReplica runs fn on the replica once the fence allows. It returns
// why the call should go to the primary instead, or "" and the call's
// outcome.
func (s *Store) readReplica(ctx context.Context, r *replica, restartable func() bool, fn func(ctx context.Context, q querier) error) (fallback string, err error) {
	if until := r.restUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		return FallbackDown, nil
	}
	began := time.Now()
	lsn, err := s.walPosition(ctx)
	if err != nil {
		return "", err // the primary's failure: nothing to fall back to
	}
	fenceCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	release, err := r.gate.enter(fenceCtx)
	if err != nil {
		s.observeFence(began)
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return FallbackBusy, nil
	}
	defer release()
	err = r.await(fenceCtx, lsn)
	s.observeFence(began)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return "", classify(ctx, err)
	case errors.Is(err, errFenceTimeout):
		return FallbackLag, nil
	default:
		r.rest()
		return FallbackError, nil
	}
	callCtx, done := detach(ctx)
	defer done()
	err = fn(callCtx, r.db)
	if err == nil || ctx.Err() != nil || (restartable != nil && !restartable()) {
		return "", classify(ctx, err)
	}
	switch code := sqlState(err); {
	case code == codeSerializationFailure:
		// On a standby: a conflict with recovery cancelled the query.
		return FallbackError, nil
	case code == codeQueryCanceled:
		// The statement timeout: the primary would take as long.
		return "", classify(ctx, err)
	}
	if errors.Is(classify(ctx, err), errUnavailable) {
		r.rest()
		return FallbackError, nil
	}
	return "", classify(ctx, err)
}

func (s *Store) observeFence(began time.Time) {
	if s.readMetrics.FenceWait != nil {
		s.readMetrics.FenceWait(time.Since(began))
	}
}

// rest has the reads leave the replica alone for replicaRest.
func (r *replica) rest() { r.restUntil.Store(time.Now().Add(replicaRest).UnixNano()) }

// sqlWALPosition is where the primary's WAL ends for the fence: past the
// commit record of every transaction acknowledged so far. With
// synchronous_commit on (the default) an acknowledged commit has been
// written, and the write position is the fence; with it off a commit is
// acknowledged before it is written, and only the insert position covers
// it (the replica then gets it when the WAL writer writes it, within
// wal_writer_delay, so such reads often fall back).
const sqlWALPosition = `SELECT (CASE WHEN current_setting('synchronous_commit') = 'off'
	THEN pg_current_wal_insert_lsn() ELSE pg_current_wal_lsn() END)::text`

// walPosition reads the fence position on the primary.
func (s *Store) walPosition(ctx context.Context) (string, error) {
	var lsn string
	err := s.doQuick(ctx, func(ctx context.Context, q querier) error {
		return q.queryRow(ctx, sqlWALPosition).Scan(&lsn)
	})
	if err != nil {
		return "", fmt.Errorf("read the primary's WAL position: %w", err)
	}
	return lsn, nil
}

// sqlReplayReached is whether the replica has replayed the WAL up to $1;
// NULL on a server that is no standby.
const sqlReplayReached = `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`

var (
	errFenceTimeout = errors.New("the replica did not replay the fence position in time")
	errNotStandby   = errors.New("the replica is not a standby (pg_last_wal_replay_lsn() is null)")
)

// await returns once the replica has replayed the WAL up to lsn, polling
// with pauses from 50 µs up to 1 ms, or errFenceTimeout when ctx's
// deadline comes first. The replay position only grows, and a snapshot
// taken after it reached lsn sees every transaction committed before lsn:
// the replica marks a commit replayed only once it is visible.
func (r *replica) await(ctx context.Context, lsn string) error {
	pause := 50 * time.Microsecond
	for {
		var reached sql.NullBool
		if err := r.db.queryRow(ctx, sqlReplayReached, lsn).Scan(&reached); err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return errFenceTimeout
			}
			return err
		}
		if !reached.Valid {
			return errNotStandby
		}
		if reached.Bool {
			return nil
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return errFenceTimeout
			}
			return ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, time.Millisecond)
	}
}

// ReplicaStatus is what ReplicaStatus finds.
type ReplicaStatus struct {
	// Configured is false when the store has no replica; nothing else is
	// then set.
	Configured bool
	// Up: the replica answered as a standby. Err says why not.
	Up  bool
	Err error
	// LagBytes is how much WAL the primary has written that the replica
	// has not replayed; LagSeconds how long ago the last transaction the
	// replica replayed committed, when it has not replayed everything
	// (else 0). Both are approximate: the two servers are asked one after
	// the other.
	LagBytes   int64
	LagSeconds float64
}

// replicaStatusTimeout bounds ReplicaStatus.
const replicaStatusTimeout = 500 * time.Millisecond

const sqlReplicaPosition = `SELECT pg_last_wal_replay_lsn()::text,
	COALESCE(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)::float8`

// ReplicaStatus asks the primary (on the readiness probe's connection) and
// the replica, within half a second, how far the replica lags.
func (s *Store) ReplicaStatus(ctx context.Context) ReplicaStatus {
	r := s.replica
	if r == nil {
		return ReplicaStatus{}
	}
	st := ReplicaStatus{Configured: true}
	ctx, cancel := context.WithTimeout(ctx, replicaStatusTimeout)
	defer cancel()
	var primary string
	if err := s.probe.QueryRowContext(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&primary); err != nil {
		st.Err = fmt.Errorf("the primary's WAL position: %w", err)
		return st
	}
	var replayed sql.NullString
	var since float64
	if err := r.db.db.QueryRowContext(ctx, sqlReplicaPosition).Scan(&replayed, &since); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer within %s: %w", replicaStatusTimeout, err)
		}
		st.Err = err
		return st
	}
	if !replayed.Valid {
		st.Err = errNotStandby
		return st
	}
	p, perr := parseLSN(primary)
	q, qerr := parseLSN(replayed.String)
	if err := errors.Join(perr, qerr); err != nil {
		st.Err = err
		return st
	}
	st.Up = true
	if p > q {
		st.LagBytes, st.LagSeconds = int64(p-q), max(since, 0)
	}
	return st
}

// parseLSN parses PostgreSQL's text form of a WAL position, "16/B374D848".
func parseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	h, herr := strconv.ParseUint(hi, 16, 32)
	l, lerr := strconv.ParseUint(lo, 16, 32)
	if !ok || herr != nil || lerr != nil {
		return 0, fmt.Errorf("malformed WAL position %q", s)
	}
	return h<<32 | l, nil
}

// ErrNotReplica marks what CheckReplica finds wrong with a replica that
// answers: it is no standby, a standby of another cluster, or another
// database than the primary's.
var ErrNotReplica = errors.New("not a streaming replica of the database")

// sqlIdentity names a server's cluster and the database of the session.
const sqlIdentity = `SELECT (SELECT system_identifier FROM pg_control_system())::text, current_database(), pg_is_in_recovery()`

// CheckReplica checks, within 5 s, that replica is a hot standby of
// primary's cluster and serves the same database. It returns an error
// wrapping ErrNotReplica when it is not, and another error when either
// does not answer.
func CheckReplica(ctx context.Context, primary, replica *sqlx.DB) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var pID, pDB, rID, rDB string
	var pRec, rRec bool
	if err := primary.QueryRowContext(ctx, sqlIdentity).Scan(&pID, &pDB, &pRec); err != nil {
		return fmt.Errorf("identify the primary: %w", err)
	}
	if err := replica.QueryRowContext(ctx, sqlIdentity).Scan(&rID, &rDB, &rRec); err != nil {
		return fmt.Errorf("identify the replica: %w", err)
	}
	switch {
	case !rRec:
		return fmt.Errorf("%w: the server is not in recovery (a primary, not a standby)", ErrNotReplica)
	case rID != pID:
		return fmt.Errorf("%w: it is a standby of another cluster (system identifier %s, the primary's %s)", ErrNotReplica, rID, pID)
	case rDB != pDB:
		return fmt.Errorf("%w: it names database %q, the primary %q", ErrNotReplica, rDB, pDB)
	}
	return nil
}

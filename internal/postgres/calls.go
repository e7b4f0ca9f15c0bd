package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/billing/customers-api/internal/access"
	"github.com/billing/customers-api/internal/customers"
)

// Every call of the store's methods goes through do: it holds one of the
// pool's connections for the call (or gives up after the pool wait), runs
// the call's statements in a context that a client going away cancels only
// after a grace period, and classifies what went wrong.

// cancelGrace is how long a call goes on after its client went away. A
// statement cancelled halfway costs its connection (lib/pq closes it), and
// the next one pays for a fresh backend with cold caches; nearly every
// statement is done well within this, so its connection goes back to the
// pool instead. A call still running after it is cancelled.
const cancelGrace = 500 * time.Millisecond

// errUnavailable marks a failure of the database itself, not of the call:
// no connection free within the pool wait, a statement over the statement
// timeout, the server down or refusing connections. The domain packages
// get it as their own "unavailable" errors (503, retry later).
var errUnavailable = errors.New("database unavailable")

// gate reserves pool connections: database/sql waits for a free
// connection as long as its context allows, which for a request is as
// long as its client waits; the gate bounds that wait.
type gate struct {
	slots chan struct{} // nil: no bound
	wait  time.Duration
}

func newGate(size int, wait time.Duration) *gate {
	g := &gate{wait: wait}
	if size > 0 && wait > 0 {
		g.slots = make(chan struct{}, size)
	}
	return g
}

// enter takes a slot, waiting at most g.wait (and never past ctx).
func (g *gate) enter(ctx context.Context) (release func(), err error) {
	if g.slots == nil {
		return func() {}, nil
	}
	select {
	case g.slots <- struct{}{}:
		return g.leave, nil
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.leave, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, fmt.Errorf("%w: no database connection free within %s", errUnavailable, g.wait)
	}
}

func (g *gate) leave() { <-g.slots }

// do runs fn as one call of the store, with q to run its statements. A
// call whose client has gone away already is not started. Inside an
// ambient transaction (see Do in idempotency.go) q is that transaction,
// whose connection the caller holds already.
func (s *Store) do(ctx context.Context, fn func(ctx context.Context, q querier) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if a := ambientFrom(ctx); a != nil {
		return classify(ctx, fn(ctx, a))
	}
	release, err := s.gate.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	callCtx, done := detach(ctx)
	defer done()
	return classify(ctx, fn(callCtx, s.db))
}

// doQuick is do for a call of one short statement (a read by key): it runs
// in a context that nothing cancels, bounded by the statement timeout
// alone. A client that goes away cannot save anything on such a call, and
// without a cancellable context database/sql and lib/pq start no goroutine
// to watch it, which on a get is a tenth of the server's work.
func (s *Store) doQuick(ctx context.Context, fn func(ctx context.Context, q querier) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if a := ambientFrom(ctx); a != nil {
		return classify(ctx, fn(ctx, a))
	}
	release, err := s.gate.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	return classify(ctx, fn(context.WithoutCancel(ctx), s.db))
}

// ambientKey marks a context whose store calls join one transaction.
type ambientKey struct{}

func ambientFrom(ctx context.Context) *txQuerier {
	q, _ := ctx.Value(ambientKey{}).(*txQuerier)
	return q
}

// detach returns a context with ctx's values and deadline that ctx's
// cancellation reaches only cancelGrace later.
func detach(ctx context.Context) (context.Context, func()) {
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if d, ok := ctx.Deadline(); ok {
		var cancelDeadline context.CancelFunc
		base, cancelDeadline = context.WithDeadline(base, d)
		cancelBoth := cancel
		cancel = func() { cancelDeadline(); cancelBoth() }
	}
	var mu sync.Mutex
	var timer *time.Timer
	ended := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !ended {
			timer = time.AfterFunc(cancelGrace, cancel)
		}
	})
	return base, func() {
		stop()
		mu.Lock()
		ended = true
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// classify tells what a call's error means: the client's own
// cancellation or deadline (ctx's error), the database being unavailable
// (errUnavailable in the chain), or anything else as it is.
func classify(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	cerr := ctx.Err()
	if d, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(d) {
		// The caller's deadline has passed, though its own timer has not
		// fired yet: the statement's context (which has the same
		// deadline) may have seen it first.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || sqlState(err) == codeQueryCanceled) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	if errors.Is(err, errUnavailable) {
		return err
	}
	switch code := sqlState(err); {
	case code == codeQueryCanceled:
		// Not the client's doing: the statement timeout.
		return fmt.Errorf("%w: statement timeout: %w", errUnavailable, err)
	case strings.HasPrefix(code, "08"), code == codeAdminShutdown, code == codeCrashShutdown,
		code == codeCannotConnectNow, code == codeTooManyConnections:
		return fmt.Errorf("%w: %w", errUnavailable, err)
	}
	var netErr net.Error
	if errors.Is(err, driver.ErrBadConn) || errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", errUnavailable, err)
	}
	return err
}

// SQLSTATEs of a server that cannot serve now.
const (
	codeQueryCanceled      = "57014"
	codeAdminShutdown      = "57P01"
	codeCrashShutdown      = "57P02"
	codeCannotConnectNow   = "57P03"
	codeTooManyConnections = "53300"
)

// customersErr translates a call's error for package customers: an
// unavailable database is its KindUnavailable; anything else passes.
func customersErr(err error) error {
	if errors.Is(err, errUnavailable) {
		return &customers.Error{Kind: customers.KindUnavailable, Message: "The database is unavailable or busy; retry shortly.", Err: err}
	}
	return err
}

// accessErr translates a call's error for package access.
func accessErr(err error) error {
	if errors.Is(err, errUnavailable) {
		return fmt.Errorf("%w: %w", access.ErrUnavailable, err)
	}
	return err
}

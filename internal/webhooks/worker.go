package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Config is how the worker delivers.
type Config struct {
	// Workers is how many deliveries one process attempts at once.
	Workers int
	// Timeout bounds one attempt: connect, send, and the answer's status.
	Timeout time.Duration
	// Schedule is the wait before each retry; a delivery that failed
	// len(Schedule)+1 times is failed (nil: after its first failure).
	Schedule []time.Duration
	// Retention is how long delivered and failed deliveries are kept.
	Retention time.Duration
	// Poll is how often the worker looks for due deliveries that no
	// wake-up announced (other nodes' commits, retries coming due).
	Poll time.Duration
	// UserAgent names the service in each delivery.
	UserAgent string
}

// batchSize bounds the deliveries one transaction claims: they are
// attempted Workers at a time and recorded together.
const batchSize = 16

// maxErrorBody is how much of a failing answer's body lastError keeps.
const maxErrorBody = 1024

// Metrics receives the worker's counts; nil fields are skipped.
type Metrics struct {
	Attempted func(result string) // delivered, retried or failed
}

// Worker delivers the outbox's deliveries. Every serve process runs one;
// they share the work through Store.Claim.
type Worker struct {
	store   Store
	cfg     Config
	render  func(Event) []byte
	client  *http.Client
	log     *slog.Logger
	wake    chan struct{}
	metrics Metrics
	now     func() time.Time

	pending atomic.Int64
	oldest  atomic.Int64 // unix nanoseconds of the oldest pending delivery; 0: none

	mu   sync.Mutex
	busy map[string]bool // organizations with a batch loop running: whether it was asked to go on
}

// NewWorker returns a worker over store that renders each event's body
// with render.
func NewWorker(store Store, cfg Config, render func(Event) []byte, log *slog.Logger, m Metrics) *Worker {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "customers-api-webhooks/1"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{
		store: store, cfg: cfg, render: render, log: log, metrics: m, now: time.Now,
		wake: make(chan struct{}, 1), busy: make(map[string]bool),
		client: &http.Client{
			// A receiver's redirect is its answer: a 3xx is a failed attempt.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport:     &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second},
		},
	}
}

// Wake makes the worker look for due deliveries now. It never blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Pending and OldestPending are the backlog at the last look (every poll).
func (w *Worker) Pending() int64 { return w.pending.Load() }

// OldestPendingAge is how long the oldest pending delivery has waited, or 0.
func (w *Worker) OldestPendingAge() time.Duration {
	if o := w.oldest.Load(); o != 0 {
		return max(w.now().Sub(time.Unix(0, o)), 0)
	}
	return 0
}

// Run delivers until ctx is done, then waits for the batches under way.
// Up to Workers batches (each a transaction of one organization) run at
// once, and up to Workers attempts among them.
func (w *Worker) Run(ctx context.Context) {
	batches := make(chan struct{}, w.cfg.Workers)
	slots := make(chan struct{}, w.cfg.Workers)
	var running sync.WaitGroup
	defer running.Wait()
	go w.upkeep(ctx)
	poll := time.NewTicker(w.cfg.Poll)
	defer poll.Stop()
	for {
		w.dispatch(ctx, batches, slots, &running)
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
			// Wake-ups come with every commit that queued a delivery:
			// waiting a moment gathers the commits of busy moments into
			// one batch, instead of a claim per commit.
			select {
			case <-ctx.Done():
				return
			case <-time.After(coalesce):
			}
		case <-poll.C:
		}
	}
}

// coalesce is how long a wake-up waits for more commits to join it.
const coalesce = 20 * time.Millisecond

// dispatch starts a batch loop for each organization with due
// deliveries, as batch slots free up. One loop at a time per organization
// in a process: a second one would split the due rows with the first
// into smaller batches, each a transaction of its own, without sending
// more at once (attempts share the process's slots either way). An
// organization whose loop is running is asked to go on instead.
func (w *Worker) dispatch(ctx context.Context, batches, slots chan struct{}, running *sync.WaitGroup) {
	orgs, err := w.store.DueOrganizations(ctx, 100)
	if err != nil {
		w.logError(ctx, "find due webhook deliveries", err)
		return
	}
	for _, org := range orgs {
		if !w.enter(org) {
			continue
		}
		select {
		case batches <- struct{}{}:
		case <-ctx.Done():
			w.leave(org, true)
			return
		}
		running.Add(1)
		go func() {
			defer running.Done()
			defer func() { <-batches }()
			// A full batch means more may be due: the next is claimed at
			// once, not after a wake-up's wait, so a busy organization's
			// deliveries keep pace with its writes. A wake-up that came
			// during the batch means more are due too. Each batch is its
			// own transaction; ctx ends the run between batches.
			for {
				if ctx.Err() != nil {
					w.leave(org, true)
					return
				}
				// Not cancelled by ctx: a batch under way is finished and
				// recorded (each attempt is bounded by the timeout).
				n, err := w.store.Deliver(context.WithoutCancel(ctx), org, batchSize, func(ctx context.Context, claimed []Claimed) []Outcome {
					return w.attemptAll(ctx, claimed, slots)
				})
				if err != nil {
					w.leave(org, true)
					w.logError(ctx, "deliver webhooks", err)
					return
				}
				if n < batchSize {
					if w.leave(org, false) {
						return
					}
					// Asked to go on after a batch that was not full: as
					// after a wake-up, wait a moment for more commits to
					// join the next batch.
					select {
					case <-ctx.Done():
					case <-time.After(coalesce):
					}
				}
			}
		}()
	}
}

// enter marks org's batch loop as running and says true, or, when one is
// running already, asks it to go on after its batch and says false.
func (w *Worker) enter(org string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, running := w.busy[org]; running {
		w.busy[org] = true
		return false
	}
	w.busy[org] = false
	return true
}

// leave ends org's batch loop and says true, unless the loop was asked to
// go on and not always: then it clears the request and says false.
func (w *Worker) leave(org string, always bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.busy[org] && !always {
		w.busy[org] = false
		return false
	}
	delete(w.busy, org)
	return true
}

// attemptAll attempts the claimed deliveries, at most cap(slots) at once
// across the process, and returns their outcomes in order.
func (w *Worker) attemptAll(ctx context.Context, claimed []Claimed, slots chan struct{}) []Outcome {
	out := make([]Outcome, len(claimed))
	var wg sync.WaitGroup
	for i, c := range claimed {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			out[i] = w.attempt(ctx, c)
		}()
	}
	wg.Wait()
	return out
}

func (w *Worker) logError(ctx context.Context, what string, err error) {
	if ctx.Err() == nil {
		w.log.Warn(what, "error", err.Error())
	}
}

// attempt sends one claimed delivery and says how it went.
func (w *Worker) attempt(ctx context.Context, c Claimed) Outcome {
	body := w.render(c.Event)
	status, errText := w.send(ctx, c, body)
	o := Outcome{Status: DeliveryDelivered}
	if status != 0 {
		o.ResponseStatus = &status
	}
	result := DeliveryDelivered
	if errText != "" {
		o.Error = &errText
		if c.Attempt <= len(w.cfg.Schedule) {
			result, o.Status = "retried", DeliveryPending
			o.RetryIn = jitter(w.cfg.Schedule[c.Attempt-1])
		} else {
			result, o.Status = DeliveryFailed, DeliveryFailed
		}
	}
	if w.metrics.Attempted != nil {
		w.metrics.Attempted(result)
	}
	attrs := []any{"delivery_id", c.DeliveryID, "webhook_id", c.WebhookID, "event_type", c.Event.Type,
		"attempt", c.Attempt, "status", status, "result", result}
	if errText != "" {
		w.log.Warn("webhook delivery", append(attrs, "error", errText)...)
	} else {
		w.log.Info("webhook delivery", attrs...)
	}
	return o
}

// jitter spreads a wait over ±20 %, so that deliveries that failed
// together are not retried together.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// send POSTs body to the webhook, signed, and returns the answer's status
// (0 when there was none) and, when it was not a success, why.
func (w *Worker) send(ctx context.Context, c Claimed, body []byte) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	ts := w.now().Unix()
	sig, err := Sign(c.Secret, c.DeliveryID, ts, body)
	if err != nil {
		return 0, err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "invalid request: " + err.Error()
	}
	for k, v := range c.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", w.cfg.UserAgent)
	req.Header.Set("webhook-id", c.DeliveryID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := w.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, fmt.Sprintf("no answer within %s", w.cfg.Timeout)
		}
		return 0, err.Error()
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody+1))
	// Drained (a little) so that the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, ""
	}
	return resp.StatusCode, fmt.Sprintf("HTTP %d: %s", resp.StatusCode, truncate(head, maxErrorBody))
}

// truncate returns b as text, cut to at most n bytes on a rune boundary,
// marked when cut.
func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	}
	b = b[:n]
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return string(b) + "…"
}

// upkeepEvery is how often the backlog gauges are refreshed; pruneEvery
// how often ended deliveries past their retention are deleted.
const (
	upkeepEvery = 5 * time.Second
	pruneEvery  = 10 * time.Minute
	pruneBatch  = 1000
)

// upkeep refreshes the backlog figures and prunes, until ctx is done.
func (w *Worker) upkeep(ctx context.Context) {
	t := time.NewTicker(upkeepEvery)
	defer t.Stop()
	var lastPrune time.Time
	for {
		w.refreshBacklog(ctx)
		if w.cfg.Retention > 0 && w.now().Sub(lastPrune) >= pruneEvery {
			lastPrune = w.now()
			w.Prune(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (w *Worker) refreshBacklog(ctx context.Context) {
	n, oldest, err := w.store.Backlog(ctx)
	if err != nil {
		w.logError(ctx, "count pending webhook deliveries", err)
		return
	}
	w.pending.Store(n)
	if oldest == nil {
		w.oldest.Store(0)
	} else {
		w.oldest.Store(oldest.UnixNano())
	}
}

// Prune deletes the deliveries that ended longer than the retention ago,
// one organization and one batch per statement.
func (w *Worker) Prune(ctx context.Context) int {
	orgs, err := w.store.Organizations(ctx)
	if err != nil {
		w.logError(ctx, "list organizations to prune", err)
		return 0
	}
	cutoff := w.now().Add(-w.cfg.Retention)
	total := 0
	for _, org := range orgs {
		for ctx.Err() == nil {
			n, err := w.store.Prune(ctx, org, cutoff, pruneBatch)
			if err != nil {
				w.logError(ctx, "prune webhook deliveries", err)
				break
			}
			total += n
			if n < pruneBatch {
				break
			}
		}
	}
	return total
}

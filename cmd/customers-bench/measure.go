package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/postgres"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The filtered page every run measures; the country and flag are among the
// commonest, so the filter matches many rows and the total is not trivial.
const (
	benchFilter = "primaryAddress.country:GB;isEddRequired:false"
	benchSort   = "-createdTime"
	benchLimit  = 20
	benchOffset = 40
	benchQ      = "smith"
)

// sampleSize is how many seeded ids the get and PUT scenarios pick from.
const sampleSize = 20000

func measure(ctx context.Context, e *env, o options, stdout io.Writer, logf func(string, ...any)) error {
	var ids []string
	if err := e.db.SelectContext(ctx, &ids,
		`SELECT id FROM customers WHERE organization_id = $1 ORDER BY md5(id) LIMIT $2`, e.orgID, sampleSize); err != nil {
		return fmt.Errorf("sample ids: %w", err)
	}
	if len(ids) == 0 {
		return fmt.Errorf("no customers were seeded")
	}
	// From the other end of the md5 order than ids, so that the PUT
	// scenario (which rewrites ids' emails) leaves these emails in place.
	var emails []string
	if err := e.db.SelectContext(ctx, &emails,
		`SELECT email FROM customers WHERE organization_id = $1 AND email IS NOT NULL ORDER BY md5(id) DESC LIMIT 1000`, e.orgID); err != nil {
		return fmt.Errorf("sample emails: %w", err)
	}
	if len(emails) == 0 {
		return fmt.Errorf("no seeded customer has an email")
	}
	idle, _ := readMemory(e.server.Process.Pid)
	loadBefore := loadAverage()

	c := newClient(e.baseURL, e.apiKey, max(o.conc, o.rssConc))
	pick := func(w, n int) string { return ids[(w*7919+n*104729)%len(ids)] }
	filterPath := "/customers?" + url.Values{
		"filter": {benchFilter}, "sort": {benchSort},
		"limit": {fmt.Sprint(benchLimit)}, "offset": {fmt.Sprint(benchOffset)},
	}.Encode()
	filterQuery := customers.ListQuery{Filter: benchFilter, Sort: []string{benchSort}, Limit: benchLimit, Offset: benchOffset}

	getAPI := func(ctx context.Context, w, n int) error {
		return c.do(ctx, http.MethodGet, "/customers/"+url.PathEscape(pick(w, n)), "", http.StatusOK)
	}
	getSQL := func(ctx context.Context, w, n int) error {
		cu, err := e.store.GetView(ctx, e.orgID, pick(w, n), customers.ViewOptions{})
		if err == nil && cu == nil {
			err = fmt.Errorf("customer %q not found", pick(w, n))
		}
		return err
	}
	listAPI := func(ctx context.Context, w, n int) error {
		return c.do(ctx, http.MethodGet, "/customers", "", http.StatusOK)
	}
	listSQL := func(ctx context.Context, w, n int) error {
		return e.store.ListViews(ctx, e.orgID, customers.ListQuery{Limit: 100}, customers.ViewOptions{}, discardPage{})
	}
	filterAPI := func(ctx context.Context, w, n int) error {
		return c.do(ctx, http.MethodGet, filterPath, "", http.StatusOK)
	}
	filterSQL := func(ctx context.Context, w, n int) error {
		return e.store.ListViews(ctx, e.orgID, filterQuery, customers.ViewOptions{}, discardPage{})
	}
	emailAPI := func(ctx context.Context, w, n int) error {
		return c.do(ctx, http.MethodGet, "/customers?"+url.Values{"filter": {"email:" + emails[n%len(emails)]}}.Encode(), "", http.StatusOK)
	}
	qAPI := func(ctx context.Context, w, n int) error {
		return c.do(ctx, http.MethodGet, "/customers?q="+benchQ, "", http.StatusOK)
	}
	// Each write scenario has bodies of its own (phase shifts n), so that a
	// later PUT scenario never repeats an earlier one's body for the same
	// id: a PUT that changes nothing writes no timeline message or event.
	post := func(phase int) op {
		return func(ctx context.Context, w, n int) error {
			return c.do(ctx, http.MethodPost, "/customers", customerBody(phase*writePhase+n), http.StatusCreated)
		}
	}
	put := func(phase int) op {
		return func(ctx context.Context, w, n int) error {
			return c.do(ctx, http.MethodPut, "/customers/"+url.PathEscape(pick(w, n)), customerBody(phase*writePhase+n), http.StatusOK)
		}
	}

	var rows []pair
	runPair := func(name string, api, sql op) {
		logf("%s: %d clients for %s", name, o.conc, o.dur)
		p := pair{api: drive(ctx, name+" (API)", o.conc, o.warmup, o.dur, api)}
		if sql != nil {
			p.sql, p.hasSQL = drive(ctx, name+" (store SQL)", o.conc, o.warmup, o.dur, sql), true
		}
		rows = append(rows, p)
	}
	runPair("get by id", getAPI, getSQL)
	runPair("list, default page", listAPI, nil)
	runPair("list, filter+sort+offset", filterAPI, filterSQL)
	runPair("list, email filter", emailAPI, nil)
	runPair("list, q="+benchQ, qAPI, nil)
	runPair("POST /customers", post(0), nil)
	runPair("PUT /customers/{id}", put(0), nil)
	if o.webhook {
		// The same writes with one active webhook: each also queues a
		// delivery, which the server's workers send to a local receiver
		// (every write writes its timeline messages either way).
		hook, err := withWebhook(ctx, c)
		if err != nil {
			return err
		}
		runPair("POST /customers (1 webhook)", post(1), nil)
		runPair("PUT /customers/{id} (1 webhook)", put(1), nil)
		// The same comparison in alternating slices, which the machine's
		// drift over the run cannot tilt.
		for i, w := range []struct {
			name string
			op   func(phase int) op
		}{{"POST /customers", post}, {"PUT /customers/{id}", put}} {
			none, with, err := interleaved(ctx, c, hook, o, logf, w.name, w.op, 2+i*len(sliceOrder))
			if err != nil {
				return err
			}
			rows = append(rows, pair{api: none}, pair{api: with})
		}
		logf("webhook receiver got %d deliveries", hook.stop())
	}
	// Latency without queueing: one client at a time.
	for _, sc := range []struct {
		name string
		fn   op
	}{{"get by id", getAPI}, {"list, default page", listAPI}, {"list, filter+sort+offset", filterAPI}, {"list, email filter", emailAPI}, {"list, q=" + benchQ, qAPI}} {
		logf("%s: 1 client for %s", sc.name, o.dur/2)
		rows = append(rows, pair{api: drive(ctx, sc.name+" (API, 1 client)", 1, o.warmup/2, o.dur/2, sc.fn)})
	}
	// The store's share of the default page's latency: the same call the
	// handler makes (page, counters, decoding), without HTTP, authentication
	// and JSON.
	logf("list, default page (store SQL): 1 client for %s", o.dur/2)
	rows = append(rows, pair{api: drive(ctx, "list, default page (store SQL, 1 client)", 1, o.warmup/2, o.dur/2, listSQL)})
	if ctx.Err() != nil {
		return ctx.Err()
	}

	// Memory under -rss-c connections: every read scenario in turn, so
	// that list pages (the largest answers) are among them.
	logf("memory: %d connections for %s", o.rssConc, o.dur)
	mixed := []op{getAPI, listAPI, filterAPI, emailAPI, qAPI}
	resetPeak(e.server.Process.Pid)
	stopSampling, peakSampled := sampleMemory(e.server.Process.Pid)
	mix := drive(ctx, fmt.Sprintf("mixed reads, %d connections", o.rssConc), o.rssConc, 0, o.dur,
		func(ctx context.Context, w, n int) error { return mixed[n%len(mixed)](ctx, w, n) })
	stopSampling()
	after, _ := readMemory(e.server.Process.Pid)

	printReport(stdout, e, o, rows, mix, idle, after, peakSampled())
	fmt.Fprintf(stdout, "load average (1, 5, 15 min) before the scenarios: %s; after: %s\n", loadBefore, loadAverage())
	for _, p := range append(rows, pair{api: mix}) {
		for _, r := range []result{p.api, p.sql} {
			if r.firstErr != nil {
				fmt.Fprintf(stdout, "first error of %q (%d errors): %v\n", r.name, r.errors, r.firstErr)
			}
		}
	}
	if o.cpuProf != "" {
		if err := profileList(ctx, e, o, o.cpuProf, stdout, logf); err != nil {
			return err
		}
	}
	if o.explain {
		return explain(ctx, e, emails[0], stdout)
	}
	return nil
}

// pair is a scenario through the API and, for some, the same store call
// without HTTP.
type pair struct {
	api, sql result
	hasSQL   bool
}

func printReport(w io.Writer, e *env, o options, rows []pair, mix result, idle, after memory, sampled int64) {
	fmt.Fprintf(w, "\nCustomers API benchmark: %d customers, %d clients, %s per scenario (after %s warm-up), loopback\n",
		o.rows, o.conc, o.dur, o.warmup)
	fmt.Fprintf(w, "machine: %d CPUs (%s), %s memory; PostgreSQL %s; %s; server pool %d connections\n\n",
		runtime.NumCPU(), cpuModel(), memTotal(), e.pgVer, runtime.Version(), o.maxConns)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tclients\trequests\terrors\treq/s\tp50\tp99\tAPI / SQL\t")
	line := func(r result, ratio string) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t\n", r.name, r.conc, r.requests, r.errors,
			r.rate(), ms(r.quantile(0.50)), ms(r.quantile(0.99)), ratio)
	}
	for _, p := range rows {
		if !p.hasSQL {
			line(p.api, "")
			continue
		}
		ratio := "-"
		if p.sql.rate() > 0 {
			ratio = fmt.Sprintf("%.0f %%", 100*p.api.rate()/p.sql.rate())
		}
		line(p.api, ratio)
		line(p.sql, "")
	}
	line(mix, "")
	tw.Flush()
	fmt.Fprintf(w, "\nserver memory: idle after start VmRSS %s; with %d connections: VmRSS peak sampled %s, VmHWM %s, VmRSS after %s\n",
		mb(idle.rss), o.rssConc, mb(sampled), mb(after.hwm), mb(after.rss))
	fmt.Fprintln(w, "(store SQL: the store method the handler calls, in this process: the same statements, prepared once per connection and run")
	fmt.Fprintln(w, " with PostgreSQL's cached plans as the server runs them, through lib/pq, on a pool opened like the server's; no HTTP, no authentication)")
	fmt.Fprintf(w, "jit of the SQL baseline's sessions (postgres.Open, as the server's): %s\n", e.poolJIT)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func mb(kb int64) string {
	if kb <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f MB", float64(kb)/1024)
}

// memory is a process's resident memory in kB, from /proc/<pid>/status.
type memory struct{ rss, hwm int64 }

func readMemory(pid int) (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	defer f.Close()
	var m memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb int64
		if _, err := fmt.Sscanf(sc.Text(), "VmRSS: %d kB", &kb); err == nil {
			m.rss = kb
		} else if _, err := fmt.Sscanf(sc.Text(), "VmHWM: %d kB", &kb); err == nil {
			m.hwm = kb
		}
	}
	return m, sc.Err()
}

// resetPeak resets the process's VmHWM to its current RSS (Linux
// clear_refs "5"), so that VmHWM afterwards is the peak of what follows.
// Where that is not allowed, VmHWM stays the peak since start.
func resetPeak(pid int) {
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// sampleMemory reads VmRSS every 50 ms until stop is called; peak returns
// the largest reading.
func sampleMemory(pid int) (stop func(), peak func() int64) {
	done := make(chan struct{})
	result := make(chan int64, 1)
	go func() {
		var top int64
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if m, err := readMemory(pid); err == nil && m.rss > top {
				top = m.rss
			}
			select {
			case <-done:
				result <- top
				return
			case <-t.C:
			}
		}
	}()
	var top int64
	var stopped bool
	return func() {
			if !stopped {
				close(done)
				top, stopped = <-result, true
			}
		}, func() int64 {
			return top
		}
}

// loadAverage is the machine's /proc/loadavg: the benchmark shares the CPUs
// with whatever else runs, and this says how much did.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	var kb int64
	for _, line := range strings.Split(string(b), "\n") {
		if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
			return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return "unknown"
}

// customerBody is the JSON of a varied, valid customer for POST and PUT;
// every n gives different values, so every PUT changes the customer.
// writePhase separates the write scenarios' body numbers: more calls than
// any scenario makes.
const writePhase = 100_000_000

func customerBody(n int) string {
	r := rand.New(rand.NewPCG(uint64(n), 42))
	first := []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Ken", "Radia"}[r.IntN(8)]
	last := []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Thompson", "Perlman"}[r.IntN(8)]
	country := []string{"US", "GB", "DE", "FR", "CA"}[r.IntN(5)]
	body := map[string]any{
		"websiteId":     "web-bench",
		"locale":        "en-" + country,
		"isEddRequired": r.IntN(20) == 0,
		"customFields":  map[string]any{"tier": []string{"bronze", "silver", "gold"}[r.IntN(3)], "benchRun": n},
		"primaryAddress": map[string]any{
			"firstName": first, "lastName": last, "country": country, "city": "Springfield",
			"address": fmt.Sprintf("%d Main St", 1+r.IntN(500)), "postalCode": fmt.Sprintf("%05d", r.IntN(100000)),
			"emails": []map[string]any{
				{"label": "work", "value": fmt.Sprintf("%s.%s.%d@example.com", strings.ToLower(first), strings.ToLower(last), n), "primary": true},
			},
			"phoneNumbers": []map[string]any{{"label": "mobile", "value": fmt.Sprintf("+1 555 %07d", r.IntN(10000000)), "primary": true}},
		},
	}
	if r.IntN(3) == 0 {
		body["leadSource"] = map[string]any{"source": "bench", "medium": "cpc", "campaign": fmt.Sprintf("c-%d", r.IntN(10))}
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic(err) // maps of strings and numbers always encode
	}
	return string(b)
}

// explain prints the plans PostgreSQL chose, with EXPLAIN (ANALYZE,
// BUFFERS) numbers, for the statements the store runs for the default list
// page, an email filter and a q search. auto_explain logs them to this one
// connection as notices, so the plans are of the very SQL the server sends.
func explain(ctx context.Context, e *env, email string, w io.Writer) error {
	var notices []string
	// jit=off as postgres.Open sets it for the server's and the baseline's
	// sessions, so that the plans are the ones they get.
	base, err := pq.NewConnector(withJITOff(e.dbURL))
	if err != nil {
		return err
	}
	conn := pq.ConnectorWithNoticeHandler(base, func(n *pq.Error) { notices = append(notices, n.Message) })
	db := sqlx.NewDb(sql.OpenDB(conn), "postgres")
	defer db.Close()
	db.SetMaxOpenConns(1) // the settings below hold for this one session
	for _, stmt := range []string{
		"LOAD 'auto_explain'",
		"SET auto_explain.log_min_duration = 0",
		"SET auto_explain.log_analyze = on",
		"SET auto_explain.log_buffers = on",
		"SET auto_explain.log_timing = on",
		"SET auto_explain.log_level = notice",
		"SET client_min_messages = notice",
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("explain: %s: %w", stmt, err)
		}
	}
	var jit string
	if err := db.GetContext(ctx, &jit, "SHOW jit"); err != nil {
		return fmt.Errorf("explain: SHOW jit: %w", err)
	}
	fmt.Fprintf(w, "\nplans from one session with jit = %s\n", jit)
	store := postgres.New(db)
	cases := []struct {
		title string
		q     customers.ListQuery
	}{
		{"GET /customers (default page: limit 100, sort -createdTime, exact total)", customers.ListQuery{Limit: 100}},
		{"GET /customers?filter=email:" + email, customers.ListQuery{Filter: "email:" + email, Limit: 100}},
		{"GET /customers?q=" + benchQ, customers.ListQuery{Q: benchQ, Limit: 100}},
		{"GET /customers?" + strings.TrimPrefix(benchFilterPathForTitle(), "?"), customers.ListQuery{Filter: benchFilter, Sort: []string{benchSort}, Limit: benchLimit, Offset: benchOffset}},
	}
	for i, c := range cases {
		// Once to warm the cache as the benchmark did, once to show.
		if err := store.ListViews(ctx, e.orgID, c.q, customers.ViewOptions{}, discardPage{}); err != nil {
			return fmt.Errorf("explain %s: %w", c.title, err)
		}
		notices = nil
		if err := store.ListViews(ctx, e.orgID, c.q, customers.ViewOptions{}, discardPage{}); err != nil {
			return fmt.Errorf("explain %s: %w", c.title, err)
		}
		fmt.Fprintf(w, "\n=== %s\n", c.title)
		shown := notices
		for _, n := range shown {
			fmt.Fprintln(w, strings.TrimSpace(n))
			fmt.Fprintln(w)
		}
		if i == 0 && len(shown) > 0 {
			// auto_explain does not log planning time; the page's own
			// statement, explained with the handler's arguments, does.
			// The default page writes LIMIT and OFFSET into its text
			// (postgres.listSQL says why): the organization is its only
			// argument.
			if err := planningTime(ctx, db, shown[0], []any{e.orgID}, w); err != nil {
				fmt.Fprintf(w, "(planning time not measured: %v)\n", err)
			}
		}
	}
	return nil
}

// planningTime runs EXPLAIN (ANALYZE, SUMMARY) of the statement whose
// auto_explain notice is notice, five times, and prints the last one's
// planning and execution times.
func planningTime(ctx context.Context, db *sqlx.DB, notice string, args []any, w io.Writer) error {
	_, text, ok := strings.Cut(notice, "Query Text: ")
	if !ok {
		return fmt.Errorf("no query text in the notice")
	}
	end := strings.Index(text, "\nLimit  (")
	if end < 0 {
		return fmt.Errorf("no Limit node after the query text")
	}
	text = text[:end]
	var lines []string
	for range 5 {
		lines = lines[:0]
		if err := db.SelectContext(ctx, &lines, "EXPLAIN (ANALYZE, SUMMARY, TIMING OFF) "+text, args...); err != nil {
			return err
		}
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "Planning Time") || strings.HasPrefix(l, "Execution Time") {
			fmt.Fprintf(w, "%s (EXPLAIN ANALYZE of the same statement, timing off)\n", l)
		}
	}
	return nil
}

// withJITOff adds jit=off to a connection URL that does not set jit, the
// way postgres.Open does for every pool it opens.
func withJITOff(dsn string) string {
	if strings.Contains(dsn, "jit=") {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return strings.TrimSpace(dsn + " jit=off")
	}
	q := u.Query()
	q.Set("jit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

func benchFilterPathForTitle() string {
	return fmt.Sprintf("filter=%s&sort=%s&limit=%d&offset=%d", benchFilter, benchSort, benchLimit, benchOffset)
}

// discardPage reads a page as the API does and keeps nothing.
type discardPage struct{}

func (discardPage) Begin(int64) error              { return nil }
func (discardPage) Customer(*customers.View) error { return nil }

// benchWebhook is the benchmark's webhook and its receiver.
type benchWebhook struct {
	id, url  string
	received *atomic.Int64
	stop     func() int64 // closes the receiver, says how many deliveries it got
}

// withWebhook starts a receiver that answers every delivery 200 and
// subscribes a webhook of the benchmark's organization to it.
func withWebhook(ctx context.Context, c *client) (*benchWebhook, error) {
	received := new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		received.Add(1)
	}))
	h := &benchWebhook{url: srv.URL + "/hook", received: received, stop: func() int64 { srv.Close(); return received.Load() }}
	body := `{"url":"` + h.url + `","description":"customers-bench receiver"}`
	var created struct{ ID string }
	if err := c.fetch(ctx, http.MethodPost, "/webhooks", body, http.StatusCreated, &created, nil); err != nil {
		srv.Close()
		return nil, fmt.Errorf("create the benchmark's webhook: %w", err)
	}
	h.id = created.ID
	return h, nil
}

// setActive turns the webhook on or off.
func (h *benchWebhook) setActive(ctx context.Context, c *client, active bool) error {
	status := map[bool]string{true: "active", false: "inactive"}[active]
	return c.fetch(ctx, http.MethodPut, "/webhooks/"+h.id, `{"url":"`+h.url+`","status":"`+status+`"}`, http.StatusOK, nil, nil)
}

// drain waits until the webhook has no pending delivery (at most a
// minute), with the webhook active: a write that a slice's deadline cut
// off on the client's side may still commit on the server after the
// webhook was turned off, its delivery waiting for the webhook to be on.
func (h *benchWebhook) drain(ctx context.Context, c *client) error {
	if err := h.setActive(ctx, c, true); err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		var header http.Header
		if err := c.fetch(ctx, http.MethodGet, "/webhooks/"+h.id+"/deliveries?filter=status:pending&limit=1", "", http.StatusOK, nil, &header); err != nil {
			return err
		}
		if header.Get("Pagination-Total") == "0" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s deliveries still pending after a minute", header.Get("Pagination-Total"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sliceOrder is the interleaved comparison's slices, with the webhook
// (true) or without: ABBAAB, so that a drift that is linear over the
// measurement falls on both alike.
var sliceOrder = []bool{false, true, true, false, false, true}

// interleaved measures the write mk makes without and with the webhook
// active, in the slices of sliceOrder, each o.dur/3 long after a short
// warm-up and with a phase of its own (from phase0), so that the two
// totals are o.dur each. Before a slice without the webhook, the
// deliveries of the slice before are drained, so that all of their
// delivery is charged to the webhook's slices. It leaves the webhook
// inactive.
func interleaved(ctx context.Context, c *client, h *benchWebhook, o options, logf func(string, ...any), name string, mk func(phase int) op, phase0 int) (none, with result, err error) {
	slice, warm := o.dur/3, min(o.warmup, 500*time.Millisecond)
	logf("%s, without and with the webhook in alternating slices: %d clients, %d slices of %s", name, o.conc, len(sliceOrder), slice)
	for i, active := range sliceOrder {
		if !active {
			if err := h.drain(ctx, c); err != nil {
				return none, with, err
			}
		}
		if err := h.setActive(ctx, c, active); err != nil {
			return none, with, err
		}
		r := drive(ctx, name, o.conc, warm, slice, mk(phase0+i))
		if active {
			with = with.merge(r)
		} else {
			none = none.merge(r)
		}
	}
	if err := h.drain(ctx, c); err != nil {
		return none, with, err
	}
	if err := h.setActive(ctx, c, false); err != nil {
		return none, with, err
	}
	none.name = name + " (interleaved, no webhook) (API)"
	with.name = fmt.Sprintf("%s (interleaved, 1 webhook: %+.0f %%) (API)", name, 100*(with.rate()/none.rate()-1))
	return none, with, nil
}

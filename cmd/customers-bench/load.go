package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// op is one request (or one store call) of a scenario; worker is the
// client's number and n counts its calls, for varied inputs.
type op func(ctx context.Context, worker, n int) error

// result is what one scenario measured.
type result struct {
	name      string
	conc      int
	requests  int
	errors    int
	firstErr  error
	elapsed   time.Duration
	latencies []time.Duration // sorted
}

func (r result) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// merge is r and s measured as one: their requests over their time.
func (r result) merge(s result) result {
	out := result{name: s.name, conc: s.conc, requests: r.requests + s.requests, errors: r.errors + s.errors,
		firstErr: r.firstErr, elapsed: r.elapsed + s.elapsed}
	if out.firstErr == nil {
		out.firstErr = s.firstErr
	}
	out.latencies = append(append(make([]time.Duration, 0, len(r.latencies)+len(s.latencies)), r.latencies...), s.latencies...)
	slices.Sort(out.latencies)
	return out
}

func (r result) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(q * float64(len(r.latencies)-1))
	return r.latencies[i]
}

// drive runs fn from conc goroutines, first for warmup (not measured), then
// for dur, and returns the measurements of the second part. A failed call
// counts as an error and its latency is not recorded.
func drive(ctx context.Context, name string, conc int, warmup, dur time.Duration, fn op) result {
	var calls atomic.Int64
	if warmup > 0 {
		load(ctx, conc, warmup, fn, &calls, nil)
	}
	res := result{name: name, conc: conc}
	var mu sync.Mutex
	began := time.Now()
	load(ctx, conc, dur, fn, &calls, func(lat []time.Duration, errs int, firstErr error) {
		mu.Lock()
		defer mu.Unlock()
		res.latencies = append(res.latencies, lat...)
		res.errors += errs
		if res.firstErr == nil {
			res.firstErr = firstErr
		}
	})
	res.elapsed = time.Since(began)
	res.requests = len(res.latencies)
	slices.Sort(res.latencies)
	return res
}

// load calls fn from conc goroutines until dur has passed; calls numbers
// the calls, so that inputs differ across warm-up and measurement.
func load(ctx context.Context, conc int, dur time.Duration, fn op, calls *atomic.Int64, report func([]time.Duration, int, error)) {
	ctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	var wg sync.WaitGroup
	for w := range conc {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			var errs int
			var firstErr error
			for ctx.Err() == nil {
				n := int(calls.Add(1))
				t := time.Now()
				err := fn(ctx, w, n)
				if ctx.Err() != nil {
					break // cut off by the deadline: neither success nor failure
				}
				if err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				lat = append(lat, time.Since(t))
			}
			if report != nil {
				report(lat, errs, firstErr)
			}
		})
	}
	wg.Wait()
}

// client calls the API with one API key.
type client struct {
	http    *http.Client
	baseURL string
	apiKey  string
}

func newClient(baseURL, apiKey string, conns int) *client {
	tr := &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{http: &http.Client{Transport: tr, Timeout: 30 * time.Second}, baseURL: baseURL, apiKey: apiKey}
}

// send sends one request with the benchmark's key, and a JSON body unless
// body is empty.
func (c *client) send(ctx context.Context, method, path, body string) (*http.Response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("REB-APIKEY", c.apiKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.http.Do(req)
}

// do sends one request and reads the whole answer; any status but want is
// an error that quotes the start of the body.
func (c *client) do(ctx context.Context, method, path, body string, want int) error {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// fetch is do for the benchmark's own calls: it decodes a JSON answer
// into out and keeps the answer's header in header, each when not nil.
func (c *client) fetch(ctx context.Context, method, path, body string, want int, out any, header *http.Header) error {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d, want %d: %.300s", method, path, resp.StatusCode, want, raw)
	}
	if header != nil {
		*header = resp.Header
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

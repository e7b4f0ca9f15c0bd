package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/billing/customers-api/internal/app"
)

// profileList writes a CPU profile of the default list page to path. The
// server process cannot be profiled from outside, so the same handler the
// serve command builds (app.New over the same services and store,
// the access log as JSON to a file at info) is started in this process on a
// free port of 127.0.0.1, over the baseline's pool (opened by postgres.Open,
// as the server's), and one client calls GET /customers for -d while the
// profile runs. The client's own work is in the profile too: read it with
// -focus 'net/http.\(\*conn\).serve' for the server's side alone.
func profileList(ctx context.Context, e *env, o options, path string, stdout io.Writer, logf func(string, ...any)) (err error) {
	logFile, err := os.Create(filepath.Join(e.workDir, "profile-server.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	api := app.New(e.db, app.Options{
		Logger: slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}).Handler
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err = errors.Join(err, srv.Shutdown(shutCtx))
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
	}()

	c := newClient("http://"+ln.Addr().String(), e.apiKey, 1)
	list := func(ctx context.Context, w, n int) error {
		return c.do(ctx, http.MethodGet, "/customers", "", http.StatusOK)
	}
	if err := list(ctx, 0, 0); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	logf("profile: list, default page, in-process handler, 1 client for %s", o.dur)
	drive(ctx, "warm-up", 1, 0, o.warmup, list)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	r := drive(ctx, "list, default page (in-process handler, 1 client, profiled)", 1, 0, o.dur, list)
	pprof.StopCPUProfile()
	runtime.ReadMemStats(&after)
	fmt.Fprintf(stdout, "\nprofiled: %s: %d requests, %d errors, %.0f req/s, p50 %s, p99 %s; CPU profile in %s\n",
		r.name, r.requests, r.errors, r.rate(), ms(r.quantile(0.50)), ms(r.quantile(0.99)), path)
	if n := uint64(max(r.requests, 1)); r.requests > 0 {
		fmt.Fprintf(stdout, "profiled: per request (server and client sides of this process): %.0f kB and %d objects allocated; %d GC cycles in all, heap in use after %.1f MB\n",
			float64(after.TotalAlloc-before.TotalAlloc)/1024/float64(n), (after.Mallocs-before.Mallocs)/n,
			after.NumGC-before.NumGC, float64(after.HeapInuse)/(1<<20))
	}
	if r.firstErr != nil {
		fmt.Fprintf(stdout, "first error: %v\n", r.firstErr)
	}
	return f.Close()
}

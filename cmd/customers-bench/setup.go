package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/billing/customers-api/internal/localpg"
	"github.com/billing/customers-api/internal/postgres"
	"github.com/jmoiron/sqlx"
)

// benchDatabase is the database the benchmark creates on its cluster.
const benchDatabase = "bench"

// env is what setUp started: the cluster, the server and a pool of our own.
type env struct {
	cluster *localpg.Cluster
	dbURL   string
	db      *sqlx.DB // the SQL baseline's pool, opened as the server opens its own
	store   *postgres.Store
	orgID   string
	apiKey  string
	baseURL string
	server  *exec.Cmd
	logPath string // the server's stderr
	workDir string
	pgVer   string
	poolJIT string // SHOW jit on the baseline pool
}

func setUp(ctx context.Context, o options, logf func(string, ...any)) (_ *env, err error) {
	bin, err := filepath.Abs(o.bin)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("the customers-api binary (-bin): %w", err)
	}
	e := &env{}
	defer func() {
		if err != nil {
			e.tearDown(logf)
		}
	}()
	if e.workDir, err = os.MkdirTemp("", "customers-bench-"); err != nil {
		return nil, err
	}

	began := time.Now()
	// Not Fast: the server runs as it would in development, fsync on.
	if e.cluster, err = localpg.Start(ctx, localpg.Options{Log: func(m string) { logf("%s", m) }}); err != nil {
		return nil, err
	}
	if err := createDatabase(ctx, e.cluster.URL("postgres"), benchDatabase); err != nil {
		return nil, err
	}
	e.dbURL = e.cluster.URL(benchDatabase)

	cli := func(args ...string) (string, error) { return e.runCLI(ctx, bin, args...) }
	if _, err := cli("migrate"); err != nil {
		return nil, err
	}
	if e.orgID, err = cli("orgs", "create", "Bench"); err != nil {
		return nil, err
	}
	if e.apiKey, err = cli("keys", "create", "--org", e.orgID); err != nil {
		return nil, err
	}
	logf("seeding %d customers", o.rows)
	seedBegan := time.Now()
	if _, err := e.runCLIProgress(ctx, bin, "seed", "--org", e.orgID, "--rows", fmt.Sprint(o.rows)); err != nil {
		return nil, err
	}
	seedTook := time.Since(seedBegan)

	if e.db, err = postgres.Open(ctx, e.dbURL, postgres.Settings{MaxConns: o.maxConns}); err != nil {
		return nil, err
	}
	e.store = postgres.New(e.db)
	// What autovacuum would have done by the time a table this size is
	// queried: statistics for the planner, a visibility map for index-only
	// scans.
	vacBegan := time.Now()
	if _, err := e.db.ExecContext(ctx, "VACUUM (ANALYZE) customers, lead_sources"); err != nil {
		return nil, fmt.Errorf("vacuum: %w", err)
	}
	logf("seeded %d customers in %s, vacuum analyze %s", o.rows, seedTook.Round(time.Second), time.Since(vacBegan).Round(time.Second))
	if err := e.db.GetContext(ctx, &e.pgVer, "SHOW server_version"); err != nil {
		return nil, err
	}
	if err := e.db.GetContext(ctx, &e.poolJIT, "SHOW jit"); err != nil {
		return nil, err
	}

	if err := e.startServer(ctx, bin, o); err != nil {
		return nil, err
	}
	logf("set up in %s; server at %s (pid %d)", time.Since(began).Round(time.Second), e.baseURL, e.server.Process.Pid)
	return e, nil
}

// serverEnv is the environment of every customers-api process we start.
func (e *env) serverEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		// Only what we set decides where the data is and how it is served.
		if k, _, _ := strings.Cut(kv, "="); k == "DATABASE_URL" || k == "ADDR" || k == "DATA_DIR" ||
			k == "LOG_LEVEL" || k == "DB_MAX_CONNS" || k == "PUBLIC_URL" {
			continue
		}
		out = append(out, kv)
	}
	return append(append(out, "DATABASE_URL="+e.dbURL, "DATA_DIR="+filepath.Join(e.workDir, "data")), extra...)
}

func command(ctx context.Context, bin string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	// If we die, so do they.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	return cmd
}

// runCLI runs one customers-api command and returns its trimmed stdout.
func (e *env) runCLI(ctx context.Context, bin string, args ...string) (string, error) {
	cmd := command(ctx, bin, e.serverEnv(), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("customers-api %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

// runCLIProgress is runCLI passing the command's stderr (progress) through.
func (e *env) runCLIProgress(ctx context.Context, bin string, args ...string) (string, error) {
	cmd := command(ctx, bin, e.serverEnv(), args...)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("customers-api %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// startServer starts `customers-api serve` on a free port of 127.0.0.1 and
// waits until it says where it listens.
func (e *env) startServer(ctx context.Context, bin string, o options) error {
	e.logPath = filepath.Join(e.workDir, "server.log")
	logFile, err := os.Create(e.logPath)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child has its own descriptor
	// Not bound to ctx: tearDown stops it with SIGTERM and waits, so that
	// a cancelled run still shuts the server down gracefully.
	cmd := command(context.WithoutCancel(ctx), bin,
		e.serverEnv("ADDR=127.0.0.1:0", fmt.Sprintf("DB_MAX_CONNS=%d", o.maxConns)), "serve")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	e.server = cmd
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return fmt.Errorf("the server exited before listening; its log:\n%s", e.serverLogTail())
			}
			if _, addr, found := strings.Cut(line, "listening on "); found {
				e.baseURL = strings.TrimSpace(addr)
				go func() { // keep draining
					for range lines {
					}
				}()
				return nil
			}
		case <-timeout:
			return fmt.Errorf("the server did not listen within 60s; its log:\n%s", e.serverLogTail())
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (e *env) serverLogTail() string {
	b, err := os.ReadFile(e.logPath)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// tearDown stops the server (gracefully), the pool and the cluster, and
// removes the work directory.
func (e *env) tearDown(logf func(string, ...any)) {
	if e.server != nil && e.server.Process != nil {
		_ = e.server.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- e.server.Wait() }()
		select {
		case err := <-done:
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				logf("server: %v", err)
			}
		case <-time.After(30 * time.Second):
			_ = e.server.Process.Kill()
			<-done
		}
		e.server = nil
	}
	if e.db != nil {
		_ = e.db.Close()
	}
	if e.cluster != nil {
		if err := e.cluster.Stop(); err != nil {
			logf("stop PostgreSQL: %v", err)
		}
	}
	if e.workDir != "" {
		_ = os.RemoveAll(e.workDir)
	}
}

// createDatabase creates database name on the server at adminURL.
func createDatabase(ctx context.Context, adminURL, name string) error {
	db, err := sqlx.Open("postgres", adminURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

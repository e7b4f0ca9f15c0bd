package localpg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ReplicaOptions configure StartReplica.
type ReplicaOptions struct {
	// ApplyDelay is the replica's recovery_min_apply_delay: how long it
	// holds each transaction's commit back before applying it, so that it
	// lags the primary by at least this much. 0 applies at once. Tests use
	// it to make the replica stale on purpose.
	ApplyDelay time.Duration
	// Log receives progress lines; nil uses the primary's.
	Log func(msg string)
}

// StartReplica starts a streaming replica (a hot standby) of the running
// cluster c: pg_basebackup -R copies c into a new throwaway directory, as
// the postgres user when root, and the copy is started on a socket of its
// own, following c's WAL over c's Unix socket. It returns when the replica
// accepts read-only connections (about a second for a fresh cluster).
//
// c must have been started by this process (Start), not found running: the
// primary needs nothing beyond PostgreSQL's defaults (wal_level replica,
// max_wal_senders 10, and the "local replication" line initdb writes with
// --auth=trust), all of which Start keeps, Fast or not; pg_basebackup
// forces full-page writes for the copy even when Fast turned them off.
//
// The replica is a throwaway *Cluster like any other: Stop stops it and
// removes its directory, and it does not outlive the process. Its
// settings are c's (fsync off if c is Fast) plus hot_standby_feedback on,
// so that the primary's cleanup does not cancel queries running on it. On
// failure, whatever StartReplica did is undone, and the error ends with
// pg_basebackup's output or the replica's log.
func (c *Cluster) StartReplica(ctx context.Context, opts ReplicaOptions) (_ *Cluster, err error) {
	if !c.started {
		return nil, errors.New("localpg: StartReplica needs a cluster this process started")
	}
	if opts.ApplyDelay < 0 {
		return nil, fmt.Errorf("localpg: negative apply delay %s", opts.ApplyDelay)
	}
	r := &Cluster{port: defaultPort, run: c.run, log: opts.Log, throwaway: true}
	if r.log == nil {
		r.log = c.log
	}
	defer func() {
		if err != nil {
			r.abort()
		}
	}()
	began := time.Now()
	if r.dir, err = os.MkdirTemp("", "localpg-replica-"); err != nil {
		return nil, fmt.Errorf("localpg: create replica dir: %w", err)
	}
	if err := c.run.prepareDir(r.dir); err != nil {
		return nil, err
	}
	if err := r.chooseSocketDir(); err != nil {
		return nil, err
	}
	if r.watchdog, err = startWatchdog(c.run, r.dir, r.socketDir); err != nil {
		return nil, err
	}
	// -R writes standby.signal and primary_conninfo (from -d) into the
	// copy; -c fast: the copy starts at a checkpoint, which must not be a
	// spread one (minutes). -X stream is the default: the WAL written
	// while copying comes along.
	conn := fmt.Sprintf("host=%s port=%d user=postgres", connQuote(c.socketDir), c.port)
	r.log(fmt.Sprintf("pg_basebackup of %s into %s", c.dir, r.dir))
	backup, err := c.run.beside("pg_basebackup")
	if err != nil {
		return nil, err
	}
	if out, err := backup.cmd(ctx, "pg_basebackup", "-D", r.dir, "-d", conn, "-R", "-c", "fast", "--no-sync"); err != nil {
		return nil, fmt.Errorf("localpg: pg_basebackup %s: %w\n%s", c.dir, err, tail(out, logTailLines))
	}
	// The copy took along the primary's server log, and its socket's lock
	// file when the socket lives in the cluster directory: the replica's
	// log starts empty, and a lock naming the live primary would stop the
	// replica from starting.
	if err := os.Truncate(filepath.Join(r.dir, logName), 0); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("localpg: reset replica log: %w", err)
	}
	locks, _ := filepath.Glob(filepath.Join(r.dir, ".s.PGSQL.*")) // the pattern is valid
	for _, l := range locks {
		if err := os.Remove(l); err != nil {
			return nil, fmt.Errorf("localpg: remove the primary's socket lock from the copy: %w", err)
		}
	}
	conf := []string{"hot_standby_feedback = on"}
	if opts.ApplyDelay > 0 {
		conf = append(conf, "recovery_min_apply_delay = '"+strconv.FormatInt(opts.ApplyDelay.Milliseconds(), 10)+"ms'")
	}
	if r.socketDir == r.dir {
		conf = append(conf, "unix_socket_directories = "+confQuote(r.dir))
	}
	text := "\n# Added by localpg for the replica.\n" + strings.Join(conf, "\n") + "\n"
	if err := appendFile(filepath.Join(r.dir, "postgresql.conf"), text); err != nil {
		return nil, fmt.Errorf("localpg: configure replica %s: %w", r.dir, err)
	}
	// false only words the log line: the settings came with the copy.
	if err := r.start(ctx, false); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("localpg: start replica: %w", err)
	}
	r.log(fmt.Sprintf("replica of %s ready in %s (socket %s)", c.dir, time.Since(began).Round(time.Millisecond), socketPath(r.socketDir, r.port)))
	return r, nil
}

// beside returns a runner for program name: r itself when name is in
// r.binDir, else one for the directory pg_ctl really lives in, since
// FindBinDir may have found a directory (e.g. /usr/local/bin) where only
// initdb and pg_ctl are linked.
func (r runner) beside(name string) (runner, error) {
	if isExecutable(filepath.Join(r.binDir, name)) {
		return r, nil
	}
	if real, err := filepath.EvalSymlinks(filepath.Join(r.binDir, "pg_ctl")); err == nil {
		if dir := filepath.Dir(real); isExecutable(filepath.Join(dir, name)) {
			r.binDir = dir
			return r, nil
		}
	}
	return r, fmt.Errorf("localpg: %s is not in %s beside pg_ctl; install PostgreSQL's client programs (Debian: postgresql-client)", name, r.binDir)
}

// connQuote quotes s as a value of a libpq connection string.
func connQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

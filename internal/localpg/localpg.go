// Package localpg starts a local PostgreSQL cluster from the server binaries
// installed on the machine (initdb, pg_ctl, postgres).
//
// A cluster is either throwaway (a new temporary directory, deleted by Stop;
// what tests use) or persistent (a fixed directory that is initialised once
// and kept; what `serve` uses when no DATABASE_URL is set).
//
// The server never listens on TCP: it accepts connections only on a Unix
// socket in a directory of its own, so any number of clusters can run side by
// side (parallel test packages) without racing for a port.
//
// A throwaway cluster does not outlive the process that started it: if the
// process ends without Stop (a panicking test, Ctrl-C, a test timeout,
// os.Exit), a small watchdog shell process stops the server and removes the
// directory.
//
// PostgreSQL refuses to run as root. When the process is root, the server
// programs run as the "postgres" system user through runuser(1) and the
// cluster directory is handed over to that user.
//
// StartReplica starts a streaming replica of a running cluster, a throwaway
// cluster of its own (replica.go).
package localpg

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options configure Start.
type Options struct {
	// DataDir is the cluster directory. Empty: a throwaway cluster in a new
	// temp dir, removed by Stop. Non-empty: a persistent cluster; initdb runs
	// only if DataDir has no PG_VERSION yet; files are kept on Stop.
	DataDir string
	// Log receives progress lines ("initdb ...", "started ..."); nil discards
	// them. Server output goes to postgres.log inside the cluster directory,
	// which error messages point at.
	Log func(msg string)
	// Fast, for throwaway test clusters: initdb --no-sync, and fsync=off,
	// synchronous_commit=off, full_page_writes=off. A crash can corrupt such
	// a cluster, so Start rejects Fast for a persistent DataDir.
	Fast bool
	// Settings are more postgresql.conf lines ("name = value"), written
	// after localpg's own when the cluster is initialised, so that they
	// win: e.g. "synchronous_commit = on" for a Fast cluster whose commits
	// must reach its WAL before they are acknowledged.
	Settings []string
}

// Cluster is a running PostgreSQL server started (or found running) by Start.
type Cluster struct {
	dir       string // data directory
	socketDir string // directory holding the Unix socket
	port      int    // only names the socket file (.s.PGSQL.<port>); no TCP
	started   bool   // false when Start found the server already running
	throwaway bool   // dir is a temp dir to remove on Stop
	ownSocket bool   // socketDir is a temp dir of its own to remove on Stop
	run       runner
	log       func(string)
	watchdog  *watchdog // throwaway clusters only

	stopOnce sync.Once
	stopErr  error
}

const (
	// defaultPort only names the socket file; each cluster has its own socket
	// directory, so every cluster can use the same number.
	defaultPort = 5432
	// maxSocketPath keeps the socket path under the kernel's sun_path limit
	// (108 bytes on Linux, 104 on BSDs) with some margin.
	maxSocketPath = 100
	logName       = "postgres.log"
	// startTimeout is what pg_ctl waits for the server to accept
	// connections (or to stop) before giving up.
	startTimeout = 60
	logTailLines = 20
)

// Start initialises the cluster if needed and starts the server, waiting
// until it accepts connections. A persistent cluster that is already running
// is reused; Stop then leaves it running.
//
// Start fails if the PostgreSQL binaries are not installed (see FindBinDir),
// if the postgres user cannot reach DataDir when running as root, or if
// initdb or the server fail; a start failure's error ends with the last lines
// of postgres.log. On failure, and when ctx is cancelled, whatever Start did
// is undone: a server it started is stopped and a throwaway directory is
// removed. A persistent DataDir is never removed.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	if opts.DataDir != "" && opts.Fast {
		return nil, errors.New("localpg: Fast is only for throwaway clusters (empty DataDir): it risks corruption on a crash")
	}
	binDir, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	run, err := newRunner(binDir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{port: defaultPort, run: run, log: opts.Log, throwaway: opts.DataDir == ""}
	if c.log == nil {
		c.log = func(string) {}
	}
	defer func() {
		if err != nil {
			c.abort()
		}
	}()

	if c.throwaway {
		if c.dir, err = os.MkdirTemp("", "localpg-"); err != nil {
			return nil, fmt.Errorf("localpg: create cluster dir: %w", err)
		}
		if err := run.prepareDir(c.dir); err != nil {
			return nil, err
		}
		if err := c.chooseSocketDir(); err != nil {
			return nil, err
		}
		if c.watchdog, err = startWatchdog(run, c.dir, c.socketDir); err != nil {
			return nil, err
		}
	} else if c.dir, err = preparePersistentDir(run, opts.DataDir); err != nil {
		return nil, err
	}

	initialised := fileExists(filepath.Join(c.dir, "PG_VERSION"))
	if initialised {
		reused, err := c.reuseRunning(ctx)
		if err != nil {
			return nil, err
		}
		if reused {
			c.log(fmt.Sprintf("reusing PostgreSQL already running in %s", c.dir))
			return c, nil
		}
	}

	if c.socketDir == "" {
		if err := c.chooseSocketDir(); err != nil {
			return nil, err
		}
	}
	if !initialised {
		if err := c.initdb(ctx, opts.Fast, opts.Settings); err != nil {
			return nil, err
		}
	}
	if err := c.start(ctx, opts.Fast); err != nil {
		return nil, err
	}
	// pg_ctl does not watch ctx once the server is up; honour a cancellation
	// that arrived meanwhile rather than hand back a server nobody wants.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("localpg: start: %w", err)
	}
	return c, nil
}

// URL returns a lib/pq connection URL for database on the cluster, as the
// superuser "postgres" over the Unix socket, e.g.
// "postgres://postgres@/app?host=/tmp/localpg-1&port=5432&sslmode=disable".
func (c *Cluster) URL(database string) string {
	// Keep "/" readable in host: it is legal in a query and lib/pq accepts it.
	host := strings.ReplaceAll(url.QueryEscape(c.socketDir), "%2F", "/")
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&port=%d&sslmode=disable",
		url.PathEscape(database), host, c.port)
}

// Stop shuts the server down (pg_ctl stop -m fast, which disconnects
// clients) and waits for it to exit, then removes the directory of a
// throwaway cluster and any separate socket directory. It does not stop a
// server that Start found already running. If the server does not stop,
// Stop returns the error and keeps the directories (a throwaway cluster's
// watchdog still removes them when the process ends). Calling Stop again
// returns the first call's result.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() { c.stopErr = c.stop() })
	return c.stopErr
}

func (c *Cluster) stop() error {
	if !c.started {
		return nil
	}
	// Stop has no ctx; pg_ctl's own -t bounds the wait.
	ctx := context.Background()
	out, err := c.run.cmd(ctx, "pg_ctl", "stop", "-D", c.dir, "-m", "fast", "-w", "-t", strconv.Itoa(startTimeout))
	if err != nil && c.running(ctx) {
		return fmt.Errorf("localpg: pg_ctl stop %s: %w\n%s", c.dir, err, tail(out, logTailLines))
	}
	// Stopped now, or already gone (crashed or killed): either way nothing
	// uses the directories any more.
	c.log(fmt.Sprintf("stopped PostgreSQL in %s", c.dir))
	err = c.removeDirs()
	c.watchdog.disarm()
	return err
}

// abort undoes a failed Start.
func (c *Cluster) abort() {
	if c.started {
		// Immediate: nothing worth a clean shutdown, and it must not hang.
		_, _ = c.run.cmd(context.Background(), "pg_ctl", "stop", "-D", c.dir, "-m", "immediate", "-w", "-t", strconv.Itoa(startTimeout))
	}
	_ = c.removeDirs()
	c.watchdog.disarm()
}

func (c *Cluster) removeDirs() error {
	var errs []error
	if c.ownSocket {
		if err := os.RemoveAll(c.socketDir); err != nil {
			errs = append(errs, fmt.Errorf("localpg: remove socket dir: %w", err))
		}
	}
	if c.throwaway && c.dir != "" {
		if err := os.RemoveAll(c.dir); err != nil {
			errs = append(errs, fmt.Errorf("localpg: remove cluster dir: %w", err))
		}
	}
	return errors.Join(errs...)
}

// chooseSocketDir uses the cluster dir for the socket when the socket path
// fits the kernel limit, else a short new directory of its own.
func (c *Cluster) chooseSocketDir() error {
	if len(socketPath(c.dir, c.port)) <= maxSocketPath {
		c.socketDir = c.dir
		return nil
	}
	parent := os.TempDir()
	if len(socketPath(filepath.Join(parent, "pg-0123456789"), c.port)) > maxSocketPath {
		parent = "/tmp" // TMPDIR itself is too long
	}
	dir, err := os.MkdirTemp(parent, "pg-")
	if err != nil {
		return fmt.Errorf("localpg: create socket dir: %w", err)
	}
	c.socketDir, c.ownSocket = dir, true
	return c.run.prepareDir(dir)
}

func socketPath(dir string, port int) string {
	return filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(port))
}

func (c *Cluster) initdb(ctx context.Context, fast bool, extra []string) error {
	c.log(fmt.Sprintf("initdb %s", c.dir))
	// Byte-order collation (stable, fast, and LIKE 'x%' can use plain
	// indexes) but Unicode character classes, so lower() folds "Ë" as well
	// as "E": case-insensitive filters and q depend on it.
	args := []string{"-D", c.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--lc-ctype=C.UTF-8"}
	if fast {
		args = append(args, "--no-sync")
	}
	if out, err := c.run.cmd(ctx, "initdb", args...); err != nil {
		return fmt.Errorf("localpg: initdb %s: %w\n%s", c.dir, err, tail(out, logTailLines))
	}
	// Settings go into postgresql.conf (not only the pg_ctl command line) so
	// that the cluster keeps them when started by hand after a reboot.
	conf := c.settings(fast)
	if c.socketDir == c.dir {
		conf = append(conf, "unix_socket_directories = "+confQuote(c.dir))
	}
	conf = append(conf, extra...)
	text := "\n# Added by localpg.\n" + strings.Join(conf, "\n") + "\n"
	if err := appendFile(filepath.Join(c.dir, "postgresql.conf"), text); err != nil {
		return fmt.Errorf("localpg: configure %s: %w", c.dir, err)
	}
	return nil
}

// settings are the server settings written to postgresql.conf.
func (c *Cluster) settings(fast bool) []string {
	s := []string{
		"listen_addresses = ''",
		"max_connections = 200",
		// What the server runs, per statement: for performance work, and
		// for the tests that count the statements a request sends.
		"shared_preload_libraries = 'pg_stat_statements'",
	}
	if fast {
		// Many test clusters run at once; keep each small. Durability is
		// worthless for a cluster deleted after the run.
		s = append(s,
			"shared_buffers = 32MB",
			"fsync = off",
			"synchronous_commit = off",
			"full_page_writes = off",
		)
	} else {
		s = append(s, "shared_buffers = 128MB")
	}
	return s
}

func (c *Cluster) start(ctx context.Context, fast bool) error {
	began := time.Now()
	logFile := filepath.Join(c.dir, logName)
	// The socket dir may change from run to run, and no TCP must hold even if
	// postgresql.conf was edited, so these two always come from the command
	// line. pg_ctl hands -o to /bin/sh, hence the quoting.
	o := "-c " + shellQuote("listen_addresses=") +
		" -c " + shellQuote("unix_socket_directories="+c.socketDir) +
		" -p " + strconv.Itoa(c.port)
	// started before running pg_ctl: if pg_ctl fails or ctx is cancelled
	// halfway, the server may be up anyway and abort must stop it.
	c.started = true
	out, err := c.run.cmd(ctx, "pg_ctl", "start", "-D", c.dir, "-l", logFile, "-w", "-t", strconv.Itoa(startTimeout), "-o", o)
	if err != nil {
		where := logFile
		if c.throwaway {
			where += " (removed with the throwaway cluster)"
		}
		return fmt.Errorf("localpg: pg_ctl start %s: %w\n%s\nlast lines of %s:\n%s",
			c.dir, err, strings.TrimSpace(string(out)), where, c.logTail(logFile))
	}
	mode := ""
	if fast {
		mode = " (fast, not crash-safe)"
	}
	c.log(fmt.Sprintf("started PostgreSQL%s in %s: data %s, socket %s",
		mode, time.Since(began).Round(time.Millisecond), c.dir, socketPath(c.socketDir, c.port)))
	return nil
}

func (c *Cluster) logTail(logFile string) string {
	b, err := os.ReadFile(logFile)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", logFile, err)
	}
	return tail(b, logTailLines)
}

// reuseRunning reports whether a server is already running in c.dir and, if
// so, points c at its socket.
func (c *Cluster) reuseRunning(ctx context.Context) (bool, error) {
	pidFile := filepath.Join(c.dir, "postmaster.pid")
	if !fileExists(pidFile) || !c.running(ctx) {
		// No server, or a postmaster.pid left by a crash: the postmaster
		// itself removes a lock file whose process is gone.
		return false, ctx.Err()
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return false, fmt.Errorf("localpg: read %s: %w", pidFile, err)
	}
	// postmaster.pid lines: pid, data dir, start time, port, first socket
	// dir, listen address, shared memory key, status.
	lines := strings.Split(string(b), "\n")
	if len(lines) < 5 {
		return false, nil // still starting or stale; pg_ctl start sorts it out
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil {
		return false, nil
	}
	sockDir := strings.TrimSpace(lines[4])
	// pg_ctl status trusts the pid, which after a reboot may belong to an
	// unrelated process; a socket that answers is the real proof.
	conn, err := net.DialTimeout("unix", socketPath(sockDir, port), 2*time.Second)
	if err != nil {
		return false, nil
	}
	_ = conn.Close()
	c.socketDir, c.port = sockDir, port
	return true, nil
}

// running reports whether pg_ctl status sees a live server in c.dir.
func (c *Cluster) running(ctx context.Context) bool {
	_, err := c.run.cmd(ctx, "pg_ctl", "status", "-D", c.dir)
	return err == nil // exit 3: not running; 4: no data directory
}

// preparePersistentDir makes dataDir absolute, creates it and its parents,
// and when root makes sure the postgres user owns it and can reach it.
func preparePersistentDir(run runner, dataDir string) (string, error) {
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return "", fmt.Errorf("localpg: data dir %q: %w", dataDir, err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("localpg: create parent of data dir: %w", err)
	}
	err = os.Mkdir(dir, 0o700)
	switch {
	case err == nil:
		if err := run.prepareDir(dir); err != nil {
			return "", err
		}
	case errors.Is(err, fs.ErrExist):
		// An existing, empty dir (e.g. a volume mount point) is what initdb
		// wants, provided its future owner owns it.
		if !fileExists(filepath.Join(dir, "PG_VERSION")) {
			if err := run.prepareDir(dir); err != nil {
				return "", err
			}
		}
	default:
		return "", fmt.Errorf("localpg: create data dir: %w", err)
	}
	if err := run.checkReachable(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// FindBinDir returns the directory holding initdb, pg_ctl and postgres:
// the directory of the initdb found on PATH if pg_ctl is beside it, else
// the newest /usr/lib/postgresql/<version>/bin. If there is none, the error
// says how to install PostgreSQL or use an existing server instead.
func FindBinDir() (string, error) {
	return findBinDir(exec.LookPath, "/usr/lib/postgresql")
}

// findBinDir is FindBinDir with PATH lookup and the Debian root injected.
func findBinDir(lookPath func(string) (string, error), debianRoot string) (string, error) {
	if initdb, err := lookPath("initdb"); err == nil {
		candidates := []string{filepath.Dir(initdb)}
		// A symlink (e.g. /usr/local/bin/initdb) may point into a full
		// installation even when pg_ctl was not linked beside it.
		if real, err := filepath.EvalSymlinks(initdb); err == nil {
			candidates = append(candidates, filepath.Dir(real))
		}
		for _, dir := range candidates {
			if isExecutable(filepath.Join(dir, "pg_ctl")) {
				return dir, nil
			}
		}
	}
	entries, _ := os.ReadDir(debianRoot) // absent: fall through to the error
	best, bestVersion := "", []int(nil)
	for _, e := range entries {
		v, ok := parseVersion(e.Name())
		if !ok {
			continue
		}
		dir := filepath.Join(debianRoot, e.Name(), "bin")
		if !isExecutable(filepath.Join(dir, "initdb")) || !isExecutable(filepath.Join(dir, "pg_ctl")) || !isExecutable(filepath.Join(dir, "postgres")) {
			continue
		}
		if best == "" || compareVersions(v, bestVersion) > 0 {
			best, bestVersion = dir, v
		}
	}
	if best != "" {
		return best, nil
	}
	return "", errors.New("localpg: PostgreSQL server binaries not found (no initdb with pg_ctl on PATH, none in " + debianRoot + "/*/bin); " +
		"install them with `apt-get install -y postgresql` (Debian/Ubuntu), " +
		"or set DATABASE_URL to use an existing PostgreSQL server instead")
}

// parseVersion parses a directory name such as "15" or "9.6".
func parseVersion(s string) ([]int, bool) {
	var v []int
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, false
		}
		v = append(v, n)
	}
	return v, true
}

func compareVersions(a, b []int) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// runner runs the PostgreSQL programs, as the postgres user when we are
// root.
type runner struct {
	binDir  string
	runuser string // path of runuser(1); empty when not root
	uid     int
	gid     int
}

func newRunner(binDir string) (runner, error) {
	r := runner{binDir: binDir}
	if os.Geteuid() != 0 {
		return r, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return r, fmt.Errorf("localpg: running as root, PostgreSQL must run as the postgres user: %w (apt-get install -y postgresql creates it)", err)
	}
	if r.uid, err = strconv.Atoi(u.Uid); err != nil {
		return r, fmt.Errorf("localpg: postgres uid %q: %w", u.Uid, err)
	}
	if r.gid, err = strconv.Atoi(u.Gid); err != nil {
		return r, fmt.Errorf("localpg: postgres gid %q: %w", u.Gid, err)
	}
	// runuser lives in /usr/sbin, which a root PATH may lack.
	for _, p := range []string{"runuser", "/usr/sbin/runuser", "/sbin/runuser"} {
		if r.runuser, err = exec.LookPath(p); err == nil {
			return r, nil
		}
	}
	return r, fmt.Errorf("localpg: running as root needs runuser (util-linux) to run PostgreSQL as the postgres user: %w", err)
}

// cmd runs a program from binDir and returns its combined output. When ctx
// is cancelled the whole process group gets SIGTERM: it reaches the program
// even behind runuser, and lets initdb remove what it had written.
func (r runner) cmd(ctx context.Context, name string, args ...string) ([]byte, error) {
	argv := r.argv(name, args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	// The postgres user may not be allowed into our working directory
	// (e.g. /root), which the programs complain about.
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), "LC_ALL=C") // messages we can show, and initdb --locale=C agrees
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	// After SIGTERM, or if a stray child keeps our output pipe open (the
	// postmaster itself detaches and writes to its log file), give up
	// waiting after a while; Go then kills the direct child.
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err) // say why it was killed
	}
	return out.Bytes(), err
}

// argv is the command line that runs program name from binDir.
func (r runner) argv(name string, args ...string) []string {
	path := filepath.Join(r.binDir, name)
	if r.runuser != "" {
		return append([]string{r.runuser, "-u", "postgres", "--", path}, args...)
	}
	return append([]string{path}, args...)
}

// prepareDir gives a directory Start created to the postgres user.
func (r runner) prepareDir(dir string) error {
	if r.runuser == "" {
		return nil
	}
	if err := os.Chown(dir, r.uid, r.gid); err != nil {
		return fmt.Errorf("localpg: hand %s to the postgres user: %w", dir, err)
	}
	return r.checkReachable(dir)
}

// checkReachable fails if the postgres user cannot traverse every parent of
// dir, which the server needs and which would otherwise surface as an
// obscure "permission denied" from initdb.
func (r runner) checkReachable(dir string) error {
	if r.runuser == "" {
		return nil
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("localpg: %w", err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		mode := fi.Mode().Perm()
		reachable := mode&0o001 != 0 ||
			ok && int(st.Uid) == r.uid && mode&0o100 != 0 ||
			ok && int(st.Gid) == r.gid && mode&0o010 != 0
		if !reachable {
			return fmt.Errorf("localpg: the postgres user cannot enter %s (mode %v), a parent of %s; run `chmod o+x %s` or choose another directory",
				p, mode, dir, p)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode().Perm()&0o111 != 0
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// confQuote quotes s as a postgresql.conf string value.
func confQuote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// watchdog is a shell process, in a session of its own so that Ctrl-C
// spares it, that reads from a pipe only this process can write to. The
// kernel closes the pipe however this process ends; at end of file without
// the all-clear, the watchdog stops the server and removes the directories.
// If a server still comes up after that (a pg_ctl start killed halfway),
// it shuts itself down within a minute of finding its lock file gone.
type watchdog struct {
	cmd *exec.Cmd
	// w is a raw descriptor, not an *os.File: a finalizer closing it
	// would set the watchdog off while the cluster is still in use.
	w int
}

const watchdogScript = `dir=$1 sock=$2
shift 2
IFS= read -r line
[ "$line" = stopped ] && exit 0
"$@" >/dev/null 2>&1
rm -rf "$dir"
[ "$sock" = "$dir" ] || rm -rf "$sock"
`

func startWatchdog(run runner, dir, socketDir string) (*watchdog, error) {
	var fds [2]int
	// O_CLOEXEC: no other child (initdb, pg_ctl, the server) may hold the
	// write end, or the pipe would not close when we die.
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("localpg: watchdog pipe: %w", err)
	}
	r := os.NewFile(uintptr(fds[0]), "watchdog")
	defer r.Close() // the child has its copy
	stop := run.argv("pg_ctl", "stop", "-D", dir, "-m", "immediate", "-w", "-t", strconv.Itoa(startTimeout))
	cmd := exec.Command("/bin/sh", append([]string{"-c", watchdogScript, "localpg-watchdog", dir, socketDir}, stop...)...)
	cmd.Stdin = r
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		_ = syscall.Close(fds[1])
		return nil, fmt.Errorf("localpg: start watchdog: %w", err)
	}
	return &watchdog{cmd: cmd, w: fds[1]}, nil
}

// disarm tells the watchdog all is well and waits for it to exit.
func (wd *watchdog) disarm() {
	if wd == nil || wd.cmd == nil {
		return
	}
	_, _ = syscall.Write(wd.w, []byte("stopped\n"))
	_ = syscall.Close(wd.w)
	_ = wd.cmd.Wait()
	wd.cmd = nil
}

package localpg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

func TestFindBinDir(t *testing.T) {
	dir, err := FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"initdb", "pg_ctl"} {
		if !isExecutable(filepath.Join(dir, name)) {
			t.Errorf("FindBinDir() = %s, which has no %s", dir, name)
		}
	}
}

func TestFindBinDirPicksNewestInstalled(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"9.6", "16", "15", "17"} {
		bin := filepath.Join(root, v, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		names := []string{"initdb", "pg_ctl", "postgres"}
		if v == "17" {
			names = names[:1] // incomplete (client-only) install: ignored
		}
		for _, name := range names {
			if err := os.WriteFile(filepath.Join(bin, name), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	notOnPath := func(string) (string, error) { return "", exec.ErrNotFound }
	got, err := findBinDir(notOnPath, root)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "16", "bin"); got != want {
		t.Errorf("findBinDir = %s, want %s", got, want)
	}

	_, err = findBinDir(notOnPath, t.TempDir())
	if err == nil {
		t.Fatal("findBinDir found binaries in an empty root")
	}
	for _, want := range []string{"apt-get install -y postgresql", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"9", "15", -1},
		{"15", "16", -1},
		{"16", "9", 1},
		{"9.6", "10", -1},
		{"15", "15", 0},
		{"15", "15.0", 0},
	}
	for _, tt := range tests {
		a, okA := parseVersion(tt.a)
		b, okB := parseVersion(tt.b)
		if !okA || !okB {
			t.Fatalf("parseVersion(%q, %q) failed", tt.a, tt.b)
		}
		if got := compareVersions(a, b); got != tt.want {
			t.Errorf("compareVersions(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	for _, s := range []string{"", "x", "15beta", "1..2"} {
		if _, ok := parseVersion(s); ok {
			t.Errorf("parseVersion(%q) succeeded, want failure", s)
		}
	}
}

func TestStartThrowaway(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	began := time.Now()
	c, err := Start(ctx, Options{Fast: true, Log: func(m string) { t.Log(m) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Start (Fast, throwaway) took %s", time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() { _ = c.Stop() })

	db := open(t, c.URL("postgres"))
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	var listen, fsync string
	if err := db.QueryRowContext(ctx, "SELECT current_setting('listen_addresses'), current_setting('fsync')").Scan(&listen, &fsync); err != nil {
		t.Fatal(err)
	}
	if listen != "" || fsync != "off" {
		t.Errorf("listen_addresses = %q, fsync = %q; want '' and off", listen, fsync)
	}
	_ = db.Close()

	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := os.Stat(c.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster dir %s still there after Stop (stat: %v)", c.dir, err)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestPersistentKeepsData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// Parents that do not exist yet: Start creates them.
	dataDir := filepath.Join(reachableTempDir(t), "state", "postgres")

	c := startPersistent(t, dataDir)
	db := open(t, c.URL("postgres"))
	if _, err := db.ExecContext(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('hello')"); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !fileExists(filepath.Join(dataDir, "PG_VERSION")) {
		t.Fatalf("Stop removed the persistent cluster in %s", dataDir)
	}
	if fileExists(filepath.Join(dataDir, "postmaster.pid")) {
		t.Errorf("server still running after Stop")
	}

	c = startPersistent(t, dataDir)
	db = open(t, c.URL("postgres"))
	var v, buffers string
	if err := db.QueryRowContext(ctx, "SELECT v, current_setting('shared_buffers') FROM kept").Scan(&v, &buffers); err != nil {
		t.Fatalf("data lost across restart: %v", err)
	}
	if v != "hello" || buffers != "128MB" {
		t.Errorf("got %q, shared_buffers %s; want hello, 128MB", v, buffers)
	}
	_ = db.Close()
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func TestPersistentRunningIsReused(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(reachableTempDir(t), "pg")
	first := startPersistent(t, dataDir)

	second := startPersistent(t, dataDir)
	if second.started {
		t.Fatal("second Start started a server again instead of reusing the running one")
	}
	if got, want := second.URL("postgres"), first.URL("postgres"); got != want {
		t.Errorf("reused URL = %s, want %s", got, want)
	}
	if err := second.Stop(); err != nil {
		t.Fatalf("Stop of reused cluster: %v", err)
	}
	// Stop of the reused cluster must leave the first one's server alone.
	db := open(t, first.URL("postgres"))
	if err := db.PingContext(t.Context()); err != nil {
		t.Fatalf("server gone after Stop of the cluster that reused it: %v", err)
	}
	_ = db.Close()
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
}

// A crash leaves postmaster.pid behind; the next Start must still work.
func TestPersistentStartsAfterCrash(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(reachableTempDir(t), "pg")
	c := startPersistent(t, dataDir)

	pid := postmasterPID(t, dataDir)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
	if !fileExists(filepath.Join(dataDir, "postmaster.pid")) {
		t.Fatal("test premise: postmaster.pid should survive SIGKILL")
	}
	// Stop of the crashed cluster has nothing to stop and must say so calmly.
	if err := c.Stop(); err != nil {
		t.Errorf("Stop after crash: %v", err)
	}

	c = startPersistent(t, dataDir)
	db := open(t, c.URL("postgres"))
	if err := db.PingContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
}

// After a reboot the pid in a stale postmaster.pid may belong to an
// unrelated live process.
func TestPersistentStartsWithStalePidOfOtherProcess(t *testing.T) {
	if os.Geteuid() != 0 {
		// Only then does the server's user differ from ours, so that the
		// live process (us) is not mistaken for a postmaster.
		t.Skip("needs root: the recycled pid must belong to another user")
	}
	t.Parallel()
	dataDir := filepath.Join(reachableTempDir(t), "pg")
	c := startPersistent(t, dataDir)
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	lines[0] = strconv.Itoa(os.Getpid())
	if err := os.WriteFile(pidFile, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	// As a file the server wrote: owned by the postgres user.
	if err := os.Chown(pidFile, c.run.uid, c.run.gid); err != nil {
		t.Fatal(err)
	}
	c = startPersistent(t, dataDir)
	if !c.started {
		t.Error("Start reused a server that is not running")
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
}

// A data dir whose socket path would be too long gets a short socket dir of
// its own, removed by Stop.
func TestLongPathGetsSeparateSocketDir(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(reachableTempDir(t), strings.Repeat("d", 60), strings.Repeat("e", 60))
	c := startPersistent(t, dataDir)
	if c.socketDir == c.dir || !c.ownSocket {
		t.Fatalf("socket dir = %s, want a separate short one", c.socketDir)
	}
	if n := len(socketPath(c.socketDir, c.port)); n > maxSocketPath {
		t.Errorf("socket path is %d bytes", n)
	}
	db := open(t, c.URL("postgres"))
	if err := db.PingContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.socketDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket dir %s left behind (stat: %v)", c.socketDir, err)
	}
}

func TestStartCancelledCleansUp(t *testing.T) {
	// TMPDIR (which t.Setenv forbids with t.Parallel) confines the
	// throwaway dir so that we can see it is gone.
	tmp := reachableTempDir(t)
	t.Setenv("TMPDIR", tmp)
	for _, after := range []time.Duration{0, 50 * time.Millisecond, 300 * time.Millisecond} {
		ctx, cancel := context.WithTimeout(context.Background(), after)
		began := time.Now()
		c, err := Start(ctx, Options{Fast: true})
		cancel()
		t.Logf("cancel after %s: Start returned after %s: %v", after, time.Since(began).Round(time.Millisecond), err)
		if err == nil {
			// Start won the race; nothing to check but a clean Stop.
			if err := c.Stop(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("cancel after %s: error %v, want context.DeadlineExceeded", after, err)
		}
		entries, err := os.ReadDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Errorf("cancel after %s left %v in TMPDIR", after, entries[0].Name())
		}
	}
}

func TestStartFailureShowsServerLog(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(reachableTempDir(t), "pg")
	c := startPersistent(t, dataDir)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := appendFile(filepath.Join(dataDir, "postgresql.conf"), "shared_buffers = plenty\n"); err != nil {
		t.Fatal(err)
	}
	_, err := Start(t.Context(), Options{DataDir: dataDir})
	if err == nil {
		t.Fatal("Start succeeded with a broken postgresql.conf")
	}
	for _, want := range []string{filepath.Join(dataDir, "postgres.log"), `"shared_buffers"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

// A throwaway cluster whose process dies without Stop is cleaned up anyway.
func TestThrowawayDoesNotOutliveProcess(t *testing.T) {
	t.Parallel()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("child exited cleanly, want it to die without Stop:\n%s", out)
	}
	var dir string
	var pid int
	if _, err := fmt.Sscanf(lineWith(string(out), "cluster "), "cluster %s %d", &dir, &pid); err != nil {
		t.Fatalf("child did not start a cluster: %v\n%s", err, out)
	}
	waitGone(t, pid)
	deadline := time.Now().Add(10 * time.Second)
	for fileExists(dir) {
		if time.Now().After(deadline) {
			t.Fatalf("cluster dir %s still there after its process died", dir)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// childEnv makes TestChildProcess, run by a test in a child process, start
// a throwaway cluster and die without stopping it.
const childEnv = "LOCALPG_TEST_CHILD"

func TestChildProcess(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		return
	}
	c, err := Start(t.Context(), Options{Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(c.dir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("cluster %s %s\n", c.dir, strings.SplitN(string(b), "\n", 2)[0])
	os.Exit(3)
}

func lineWith(text, prefix string) string {
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

func TestFastRejectedForPersistent(t *testing.T) {
	_, err := Start(t.Context(), Options{DataDir: filepath.Join(t.TempDir(), "pg"), Fast: true})
	if err == nil {
		t.Fatal("Start accepted Fast for a persistent cluster")
	}
}

func TestUnreachableParentIsReported(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to another user")
	}
	parent := reachableTempDir(t)
	if err := os.Chmod(parent, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Start(t.Context(), Options{DataDir: filepath.Join(parent, "pg")})
	if err == nil || !strings.Contains(err.Error(), "cannot enter "+parent) {
		t.Fatalf("Start = %v, want an error naming %s", err, parent)
	}
}

func startPersistent(t *testing.T, dataDir string) *Cluster {
	t.Helper()
	c, err := Start(t.Context(), Options{DataDir: dataDir, Log: func(m string) { t.Log(m) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	return c
}

// reachableTempDir returns a new dir the postgres user can traverse, which
// t.TempDir (mode 0700 under a 0700 parent) is not when we run as root.
func reachableTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "localpg-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func open(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func postmasterPID(t *testing.T, dataDir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkStartStopFast measures what a test package pays for its cluster.
func BenchmarkStartStopFast(b *testing.B) {
	for b.Loop() {
		c, err := Start(b.Context(), Options{Fast: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Stop(); err != nil {
			b.Fatal(err)
		}
	}
}

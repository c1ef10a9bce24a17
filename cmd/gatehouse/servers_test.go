package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The chaos tests stop and start database and Redis servers, so they run
// their own on free ports and in temporary directories: the shared
// servers other packages' tests use never see an outage.

// freePort returns a TCP port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// ownPostgres is a PostgreSQL server started by one test.
type ownPostgres struct {
	t       *testing.T
	bin     string // directory of initdb, pg_ctl, postgres
	dir     string // data directory's parent: socket and log
	port    int
	runUser bool // run as the postgres OS user (we are root)
	URL     string
}

// postgresBinDir finds the PostgreSQL server programs: the Debian
// location for any major version, else $PATH.
func postgresBinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

// startOwnPostgres initialises and starts a throwaway PostgreSQL cluster
// (trust authentication on 127.0.0.1, fsync off: a restart here is a
// process restart, not a machine crash). As root, PostgreSQL refuses to
// run, so its programs run as the postgres user via runuser.
func startOwnPostgres(t *testing.T) *ownPostgres {
	t.Helper()
	bin := postgresBinDir()
	if bin == "" {
		t.Skip("PostgreSQL server programs (initdb, pg_ctl) not found")
	}
	dir, err := os.MkdirTemp("", "gatehouse-chaos-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	pg := &ownPostgres{t: t, bin: bin, dir: dir, port: freePort(t), runUser: os.Geteuid() == 0}
	if pg.runUser {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root and there is no postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	pg.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
	pg.run("initdb", "-D", pg.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	pg.Start()
	t.Cleanup(func() { _ = pg.command("pg_ctl", "-D", pg.data(), "-m", "immediate", "-w", "stop").Run() })
	return pg
}

func (pg *ownPostgres) data() string { return filepath.Join(pg.dir, "data") }

// command prepares one of the server programs, as the postgres user when
// needed.
func (pg *ownPostgres) command(name string, args ...string) *exec.Cmd {
	prog := filepath.Join(pg.bin, name)
	if pg.runUser {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", prog}, args...)...)
	}
	return exec.Command(prog, args...)
}

func (pg *ownPostgres) run(name string, args ...string) {
	pg.t.Helper()
	if out, err := pg.command(name, args...).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(pg.dir, "log"))
		pg.t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out, log)
	}
}

// Start starts the server and waits until it accepts connections.
func (pg *ownPostgres) Start() {
	pg.t.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off -c max_connections=100", pg.port, pg.dir)
	pg.run("pg_ctl", "-D", pg.data(), "-l", filepath.Join(pg.dir, "log"), "-o", opts, "-w", "-t", "120", "start")
}

// Crash stops the server the hard way (immediate shutdown: no checkpoint,
// connections cut; the next start recovers from the write-ahead log).
func (pg *ownPostgres) Crash() {
	pg.t.Helper()
	pg.run("pg_ctl", "-D", pg.data(), "-m", "immediate", "-w", "stop")
}

// ownRedis is a redis-server started by one test.
type ownRedis struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
	URL  string
}

// startOwnRedis starts a redis-server without persistence on a free port.
func startOwnRedis(t *testing.T) *ownRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not found")
	}
	r := &ownRedis{t: t, port: freePort(t)}
	r.URL = fmt.Sprintf("redis://127.0.0.1:%d/0", r.port)
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// Start runs the server and waits until it accepts connections.
func (r *ownRedis) Start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	eventually(r.t, "redis-server accepts connections", 30*time.Second, func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// Stop kills the server (as a crash would) and waits for it to exit.
func (r *ownRedis) Stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

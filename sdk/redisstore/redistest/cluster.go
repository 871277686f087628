package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Cluster is a Redis Cluster of real redis-server processes on loopback,
// masters only, each owning an equal share of the 16384 slots. Like a
// [Server] it persists every write (appendonly yes, appendfsync always)
// and can be killed and restarted whole, with its data and its cluster
// configuration.
type Cluster struct {
	// URL names the cluster for REDIS_URL (and redis.ParseClusterURL):
	// redis://<node 1>?addr=<node 2>&addr=…
	URL string
	// Addrs are the nodes' host:port, in slot order.
	Addrs []string

	tb       testing.TB
	dirs     []string
	args     [][]string
	mu       sync.Mutex
	stops    []func() // nil while killed
	created  bool     // the slots are assigned: Restart waits for them
	busPorts []int
}

// StartCluster starts a cluster of n masters (at least 2, so that keys
// spread over nodes) for the test, killed at its end, and waits until it
// serves every slot. It is skipped or fails as [Start] is when
// redis-server is missing.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	c := LaunchCluster(tb, n)
	c.Wait()
	return c
}

// LaunchCluster is [StartCluster] without the wait: it starts the nodes
// and gives them their slots, and returns before they serve; call
// [Cluster.Wait] before using the cluster. A new master takes writes only
// 2 s after its redis-server started (redis-server's own delay, whatever
// the cluster's size), so a test that calls LaunchCluster before
// t.Parallel and Wait after it has those seconds pass while the tests
// before it run:
//
//	c := redistest.LaunchCluster(t, 3)
//	t.Parallel()
//	c.Wait()
func LaunchCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	if n < 2 {
		tb.Fatalf("redistest: StartCluster(%d): a cluster needs 2 nodes or more", n)
	}
	lookTools(tb)
	c := &Cluster{tb: tb}
	ports := freePorts(tb, 2*n) // a client port and a cluster bus port per node
	for i := range n {
		dir := filepath.Join(tb.TempDir(), "node"+strconv.Itoa(i))
		if err := os.Mkdir(dir, 0o700); err != nil {
			tb.Fatal(err)
		}
		c.dirs = append(c.dirs, dir)
		c.Addrs = append(c.Addrs, "127.0.0.1:"+strconv.Itoa(ports[2*i]))
		c.busPorts = append(c.busPorts, ports[2*i+1])
		c.args = append(c.args, []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(ports[2*i]),
			"--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(ports[2*i+1]),
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--dir", dir, "--save", "", "--cluster-node-timeout", "5000",
			"--appendonly", "yes", "--appendfsync", "always"})
	}
	c.URL = "redis://" + c.Addrs[0] + "?addr=" + strings.Join(c.Addrs[1:], "&addr=")
	tb.Cleanup(c.Kill)
	c.Restart()
	if err := c.create(); err != nil {
		tb.Fatal(err)
	}
	c.created = true
	return c
}

// Wait waits until every node of a cluster from [LaunchCluster] sees every
// other and every slot is served; it fails the test after 10 s.
func (c *Cluster) Wait() {
	c.tb.Helper()
	c.waitOK()
}

// create gives each node its share of the slots and makes them meet.
func (c *Cluster) create() error {
	n := len(c.Addrs)
	host, port, _ := net.SplitHostPort(c.Addrs[0])
	for i, addr := range c.Addrs {
		from, to := i*16384/n, (i+1)*16384/n-1
		err := cliOK(addr, "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(from), strconv.Itoa(to))
		if err == nil && i > 0 {
			err = cliOK(addr, "CLUSTER", "MEET", host, port, strconv.Itoa(c.busPorts[0]))
		}
		if err != nil {
			return fmt.Errorf("redistest: creating the cluster at %s: %w", addr, err)
		}
	}
	return nil
}

// waitOK waits until every node sees every other and every slot served.
func (c *Cluster) waitOK() {
	c.tb.Helper()
	want := []string{"cluster_state:ok", "cluster_slots_ok:16384", "cluster_known_nodes:" + strconv.Itoa(len(c.Addrs))}
	deadline := time.Now().Add(10 * time.Second)
	for _, addr := range c.Addrs {
		var info string
		var err error
		if !poll(deadline, func() bool {
			info, err = cli(addr, "CLUSTER", "INFO")
			return err == nil && containsAll(info, want)
		}) {
			c.tb.Fatalf("redistest: the cluster is not ready at %s after 10s: %v\n%s", addr, err, info)
		}
	}
}

// poll calls try every 10 ms until it reports true, and reports whether
// it did before deadline.
func poll(deadline time.Time, try func() bool) bool {
	for !try() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// Kill kills every node (SIGKILL) and waits until they have exited; it
// does nothing if the cluster is not running.
func (c *Cluster) Kill() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, stop := range c.stops {
		stop()
	}
	c.stops = nil
}

// Restart starts a killed cluster again on the same ports, with the data
// and the slots it had, and waits until it serves every slot; it does
// nothing if the cluster is running.
func (c *Cluster) Restart() {
	c.tb.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stops != nil {
		return
	}
	for i, addr := range c.Addrs {
		stop, err := launch(c.dirs[i], "tcp", addr, c.args[i]...)
		if err != nil {
			c.tb.Fatal(err)
		}
		c.stops = append(c.stops, stop)
	}
	if c.created {
		c.waitOK()
	}
}

// Sentinel is a Sentinel watching a master and its replica, all real
// redis-server processes on loopback, each persisting every write; the
// test can kill and restart the master, or fail over to the replica.
type Sentinel struct {
	// URL names the master through the Sentinel for REDIS_URL (and
	// redis.ParseFailoverURL): redis://<sentinel>?master_name=<Name>.
	URL string
	// Name is the name the Sentinel knows the master by.
	Name string
	// Master is the master, to kill and restart; Replica replicates it.
	// [Sentinel.Failover] swaps them.
	Master, Replica *Server

	tb       testing.TB
	sentinel string // the Sentinel's host:port
}

// StartSentinel starts a master, a replica of it and a Sentinel watching
// them for the test, killed at its end. It is skipped or fails as [Start]
// is when redis-server is missing.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	lookTools(tb)
	ports := freePorts(tb, 3)
	node := func(port int, args ...string) *Server {
		dir := tb.TempDir()
		s := &Server{tb: tb, dir: dir, network: "tcp", addr: "127.0.0.1:" + strconv.Itoa(port), URL: "redis://127.0.0.1:" + strconv.Itoa(port),
			args: append([]string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--dir", dir,
				"--appendonly", "yes", "--appendfsync", "always"}, args...)}
		if err := s.start(); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(s.Kill)
		return s
	}
	master := node(ports[0])
	replica := node(ports[1], "--replicaof", "127.0.0.1", strconv.Itoa(ports[0]))
	const name = "kenarkit"
	dir := tb.TempDir()
	conf := filepath.Join(dir, "sentinel.conf") // the Sentinel rewrites its configuration: a file of its own
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("bind 127.0.0.1\nport %d\nsentinel monitor %s 127.0.0.1 %d 1\n",
		ports[2], name, ports[0])), 0o600); err != nil {
		tb.Fatal(err)
	}
	sentinel := "127.0.0.1:" + strconv.Itoa(ports[2])
	stop, err := launch(dir, "tcp", sentinel, conf, "--sentinel")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(stop)
	return &Sentinel{URL: "redis://" + sentinel + "?master_name=" + name, Name: name, Master: master, Replica: replica, tb: tb, sentinel: sentinel}
}

// Failover makes the Sentinel promote the replica, once it holds every
// write the master acknowledged, and waits until the Sentinel names it
// master; Master and Replica are then swapped.
func (s *Sentinel) Failover() {
	s.tb.Helper()
	if acked, err := cli(s.Master.addr, "WAIT", "1", "10000"); err != nil || acked != "1" {
		s.tb.Fatalf("redistest: the replica did not catch up: WAIT answered %q (%v)", acked, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var err error
	if !poll(deadline, func() bool { // the Sentinel learns of the replica from the master's INFO
		err = cliOK(s.sentinel, "SENTINEL", "FAILOVER", s.Name)
		return err == nil
	}) {
		s.tb.Fatalf("redistest: SENTINEL FAILOVER: %v", err)
	}
	var addr string
	if !poll(deadline, func() bool {
		addr, err = cli(s.sentinel, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", s.Name)
		host, port, ok := strings.Cut(addr, "\n")
		return err == nil && ok && net.JoinHostPort(host, port) == s.Replica.addr
	}) {
		s.tb.Fatalf("redistest: the Sentinel did not promote the replica in 10s: %q, %v", addr, err)
	}
	s.Master, s.Replica = s.Replica, s.Master
}

// lookTools skips the test, or fails it when KENARKIT_REDIS=1, when
// redis-server or redis-cli (shipped with it; the cluster and the Sentinel
// are set up with it) is not installed.
func lookTools(tb testing.TB) {
	tb.Helper()
	for _, tool := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(tb, fmt.Errorf("%w: no %s on the PATH", ErrNotInstalled, tool))
		}
	}
}

// cliTimeout bounds one redis-cli command (WAIT's own timeout is shorter).
const cliTimeout = 30 * time.Second

// cli runs redis-cli with args against the server at addr (host:port)
// and returns its reply, trimmed. An error reply is a reply too (redis-cli
// exits 0 with it): the caller checks for the one it expects.
func cli(addr string, args ...string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("redistest: %w", err)
	}
	// A server that stops answering ends the command, not the test run.
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-cli", append([]string{"-h", host, "-p", port}, args...)...).CombinedOutput()
	reply := strings.TrimSpace(string(out))
	if err != nil {
		return reply, fmt.Errorf("redistest: redis-cli %s: %w: %s", strings.Join(args, " "), err, reply)
	}
	return reply, nil
}

// cliOK runs [cli] and wants the reply OK.
func cliOK(addr string, args ...string) error {
	reply, err := cli(addr, args...)
	if err == nil && reply != "OK" {
		err = fmt.Errorf("redistest: redis-cli %s: %s", strings.Join(args, " "), reply)
	}
	return err
}

// skipOrFail skips the test for err, or fails it when KENARKIT_REDIS=1.
func skipOrFail(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("KENARKIT_REDIS") == "1" {
		tb.Fatal(err)
	}
	tb.Skip(err.Error() + "; set KENARKIT_REDIS=1 to make this a failure")
}

// freePorts returns n TCP ports on loopback that were free a moment ago.
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/hashicorp/yamux"
)

// runFloor measures the floors of a node-to-node round trip, each a
// 1-byte ping-pong between this process and a server child on loopback:
//
//	floor rtt tcp p50_ns p90_ns p99_ns max_ns      one TCP connection
//	floor rtt yamux p50_ns p90_ns p99_ns max_ns    one yamux stream over TCP
//	floor tput yamux C round_trips_per_second      C streams of one session
//
// yamux (with its default configuration) is the multiplexer under chatd's
// links, so its ping-pong is the floor a link round trip can reach.
func runFloor(args []string) error {
	fs := newFlags("floor")
	loadFlags := addLoadFlags(fs, 20000, "round trips per latency run", "64", "concurrent yamux streams for throughput")
	_ = fs.Parse(args)
	ld, err := loadFlags()
	if err != nil {
		return err
	}
	ctx := context.Background()
	if err := tcpFloor(ctx, ld.n); err != nil {
		return fmt.Errorf("tcp floor: %w", err)
	}
	if err := yamuxFloor(ctx, ld); err != nil {
		return fmt.Errorf("yamux floor: %w", err)
	}
	return nil
}

// tcpFloor times n 1-byte round trips on one TCP connection.
func tcpFloor(ctx context.Context, n int) error {
	conn, err := dialServerChild("floor-server")
	if err != nil {
		return err
	}
	defer conn.Close()
	ds, err := sequential(ctx, n, func(context.Context) error { return pingPong(conn) })
	if err != nil {
		return err
	}
	percentiles("floor rtt tcp", ds)
	return nil
}

// yamuxFloor times ld.n 1-byte round trips on one yamux stream, then the
// rate of c streams doing the same at once, for each c of ld.concs.
func yamuxFloor(ctx context.Context, ld load) error {
	conn, err := dialServerChild("yamux-server")
	if err != nil {
		return err
	}
	sess, err := yamux.Client(conn, yamuxFloorConfig())
	if err != nil {
		conn.Close()
		return err
	}
	defer sess.Close()
	st, err := sess.OpenStream()
	if err != nil {
		return err
	}
	ds, err := sequential(ctx, ld.n, func(context.Context) error { return pingPong(st) })
	st.Close()
	if err != nil {
		return err
	}
	percentiles("floor rtt yamux", ds)
	for _, c := range ld.concs {
		streams := make(chan *yamux.Stream, c)
		for range c {
			st, err := sess.OpenStream()
			if err != nil {
				return err
			}
			defer st.Close()
			streams <- st
		}
		// Each caller takes a stream of its own for the whole run.
		rate, err := throughputWorkers(ctx, c, ld.d, func() func(context.Context) error {
			st := <-streams
			return func(context.Context) error { return pingPong(st) }
		})
		if err != nil {
			return err
		}
		fmt.Printf("floor tput yamux %d %.0f\n", c, rate)
	}
	return nil
}

// pingPong writes one byte to rw and reads the echo.
func pingPong(rw io.ReadWriter) error {
	b := []byte{1}
	if _, err := rw.Write(b); err != nil {
		return err
	}
	_, err := io.ReadFull(rw, b)
	return err
}

// yamuxFloorConfig is yamux's default configuration, silent.
func yamuxFloorConfig() *yamux.Config {
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = io.Discard
	return cfg
}

// startServerChild starts this program with args as a server child and
// returns the address it prints on its first line of output.
func startServerChild(args ...string) (string, *childProc, error) {
	cmd := exec.Command(os.Args[0], args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	c, err := startChild("chatbench "+args[0], cmd)
	if err != nil {
		return "", nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		c.stop(5 * time.Second)
		return "", nil, fmt.Errorf("%s printed no address: %w; stderr: %s", c.name, err, c.stderr)
	}
	return strings.TrimSpace(line), c, nil
}

// dialServerChild starts the TCP server child called name and connects
// to it; closing the connection stops the child.
func dialServerChild(name string) (net.Conn, error) {
	addr, srv, err := startServerChild(name)
	if err != nil {
		return nil, err
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		srv.stop(5 * time.Second)
		return nil, err
	}
	return childConn{Conn: conn, child: srv}, nil
}

// childConn is a connection to a server child, which it stops on Close.
type childConn struct {
	net.Conn
	child *childProc
}

// Close closes the connection, then stops the child.
func (c childConn) Close() error {
	err := c.Conn.Close()
	c.child.stop(5 * time.Second)
	return err
}

// runFloorServer echoes bytes on one loopback TCP connection, printing its
// address first.
func runFloorServer([]string) error {
	conn, err := acceptOne()
	if err != nil {
		return err
	}
	_, err = io.Copy(conn, conn)
	return err
}

// runYamuxServer accepts one loopback TCP connection as a yamux server
// session, printing its address first, and echoes every stream opened on
// it until the session ends.
func runYamuxServer(args []string) error {
	fs := newFlags("yamux-server")
	debug := debugFlag(fs)
	_ = fs.Parse(args)
	if err := serveDebug(*debug); err != nil {
		return err
	}
	conn, err := acceptOne()
	if err != nil {
		return err
	}
	sess, err := yamux.Server(conn, yamuxFloorConfig())
	if err != nil {
		return err
	}
	defer sess.Close()
	for {
		st, err := sess.AcceptStream()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, yamux.ErrSessionShutdown) {
				return nil
			}
			return err
		}
		go func() {
			defer st.Close()
			_, _ = io.Copy(st, st)
		}()
	}
}

// acceptOne listens on a loopback port, prints its address for the parent
// and returns the first connection.
func acceptOne() (net.Conn, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	fmt.Println(ln.Addr())
	return ln.Accept()
}

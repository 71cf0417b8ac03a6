package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
)

// runFloor measures a 1-byte TCP ping-pong between this process and a
// floor-server child on loopback: the machine's floor for a round trip.
func runFloor(args []string) error {
	fs := newFlags("floor")
	n := fs.Int("n", 20000, "round trips")
	_ = fs.Parse(args)
	srv := exec.Command(os.Args[0], "floor-server")
	out, err := srv.StdoutPipe()
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("floor server: %w", err)
	}
	conn, err := net.Dial("tcp", strings.TrimSpace(addr))
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetNoDelay(true)
	b := []byte{1}
	ds, err := sequential(context.Background(), *n, func(context.Context) error {
		if _, err := conn.Write(b); err != nil {
			return err
		}
		_, err := io.ReadFull(conn, b)
		return err
	})
	if err != nil {
		return err
	}
	percentiles("floor", ds)
	return nil
}

// runFloorServer echoes bytes on one loopback connection, printing its
// address first.
func runFloorServer([]string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr())
	conn, err := ln.Accept()
	if err != nil {
		return err
	}
	_, err = io.Copy(conn, conn)
	return err
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
)

// runCLI times `chatctl send PEER hi` end to end (process start included)
// and POST /v1/send on a kept-alive control connection.
func runCLI(args []string) error {
	fs := newFlags("cli")
	chatctl := fs.String("chatctl", "chatctl", "the chatctl binary")
	socket := fs.String("socket", "", "the sending node's control socket")
	peer := fs.String("peer", "kate@localhost", "the recipient")
	n := fs.Int("n", 200, "sends per kind")
	_ = fs.Parse(args)
	ctx := context.Background()
	ds, err := sequential(ctx, *n, func(ctx context.Context) error {
		out, err := exec.CommandContext(ctx, *chatctl, "--socket", *socket, "send", *peer, "hi").CombinedOutput()
		if err != nil {
			return fmt.Errorf("chatctl send: %v: %s", err, out)
		}
		return nil
	})
	if err != nil {
		return err
	}
	percentiles("cli chatctl_send", ds)

	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", *socket)
	}}}
	body, _ := json.Marshal(map[string]string{"to": *peer, "text": "hi"})
	ds, err = sequential(ctx, *n*5, func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, "POST", "http://chatd/v1/send", bytes.NewReader(body))
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("POST /v1/send: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		return err
	}
	percentiles("cli api_send", ds)
	return nil
}

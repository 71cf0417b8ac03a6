package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"chatd/wire"
)

// item is a stand-in for a streamed record.
type item struct {
	N int `json:"n"`
}

// collect streams GET /v1/test into a slice.
func collect(ctx context.Context, c *Client) ([]item, error) {
	var got []item
	err := stream(ctx, c, http.MethodGet, "/v1/test?follow=1", nil, func(it item) error {
		got = append(got, it)
		return nil
	})
	return got, err
}

func TestStream(t *testing.T) {
	var gotQuery string
	c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotQuery = r.URL.RawQuery
		_, _ = io.WriteString(w, "{\"n\":1}\n\n{\"n\":2}\r\n{\"n\":3}")
	}))
	got, err := collect(t.Context(), c)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	if want := []item{{1}, {2}, {3}}; !reflect.DeepEqual(got, want) {
		t.Errorf("items = %v, want %v", got, want)
	}
	if gotQuery != "follow=1" {
		t.Errorf("query = %q, want follow=1", gotQuery)
	}
}

func TestStreamErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		check   func(t *testing.T, err error)
	}{
		{
			name:    "api error before the stream",
			handler: respond(http.StatusNotFound, wire.ErrorResponse{Error: "no such path", Code: wire.CodeNotFound}),
			check: func(t *testing.T, err error) {
				if wire.CodeOf(err) != wire.CodeNotFound {
					t.Errorf("error = %v, want code not_found", err)
				}
			},
		},
		{
			name: "bad line",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "{\"n\":1}\n{oops}\n")
			},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "stream line 2") {
					t.Errorf("error = %v, want one naming stream line 2", err)
				}
			},
		},
		{
			name: "line too long",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "{\"n\":1}\n\""+strings.Repeat("x", MaxStreamLine)+"\"\n")
			},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, ErrResponseTooLarge) {
					t.Errorf("error = %v, want ErrResponseTooLarge", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := serve(t, tt.handler)
			_, err := collect(t.Context(), c)
			tt.check(t, err)
		})
	}
}

// TestStreamStop checks both ways a follow ends early: the callback's error
// and the caller's cancellation, with the daemon still streaming.
func TestStreamStop(t *testing.T) {
	endless := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; ; i++ {
			if _, err := io.WriteString(w, "{\"n\":1}\n"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			if i > 0 {
				<-r.Context().Done()
				return
			}
		}
	})
	errStop := errors.New("stop")

	t.Run("callback error", func(t *testing.T) {
		c := serve(t, endless)
		err := stream(t.Context(), c, http.MethodGet, "/v1/test", nil, func(item) error { return errStop })
		if !errors.Is(err, errStop) {
			t.Errorf("stream error = %v, want errStop", err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		c := serve(t, endless)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		n := 0
		err := stream(ctx, c, http.MethodGet, "/v1/test", nil, func(item) error {
			n++
			if n == 2 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("stream error = %v, want context.Canceled", err)
		}
		if n != 2 {
			t.Errorf("callback ran %d times, want 2", n)
		}
	})
}

package client

import (
	"context"
	"net/http"
	"testing"

	"chatd/wire"
)

func TestWarnOnVersionMismatch(t *testing.T) {
	cases := []struct {
		name, own, daemon string
		want              []string
	}{
		{"same version", "v1.2.0", "v1.2.0", nil},
		{"no header", "v1.2.0", "", nil},
		{"different, warned once", "v1.2.0", "v1.3.0", []string{"v1.3.0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.daemon != "" {
					w.Header().Set(wire.HeaderVersion, tc.daemon)
				}
				respond(http.StatusOK, wire.StatusResponse{Node: "alex@localhost"})(w, r)
			}))
			var got []string
			c.WarnOnVersionMismatch(tc.own, func(v string) { got = append(got, v) })
			for range 3 {
				if _, err := c.Status(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if len(got) != len(tc.want) || (len(got) == 1 && got[0] != tc.want[0]) {
				t.Fatalf("warnings = %q, want %q", got, tc.want)
			}
		})
	}
}

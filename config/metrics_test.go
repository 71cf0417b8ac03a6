package config

import "testing"

func TestMetricsListenAddress(t *testing.T) {
	for _, tc := range []struct{ listen, want string }{
		{"", ""},
		{":9369", "127.0.0.1:9369"},
		{"127.0.0.1:9369", "127.0.0.1:9369"},
		{"[::1]:9369", "[::1]:9369"},
		{"0.0.0.0:9369", "0.0.0.0:9369"},
	} {
		if got := (Metrics{Listen: tc.listen}).ListenAddress(); got != tc.want {
			t.Errorf("ListenAddress of %q = %q, want %q", tc.listen, got, tc.want)
		}
	}
}

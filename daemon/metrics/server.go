package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"chatd/wire"
)

// Server serves GET /metrics over TCP ([metrics] listen), for a
// Prometheus server; every other path is 404.
type Server struct {
	ln   net.Listener
	http *http.Server
}

// Listen listens on addr for scrapes of m, through m's descriptor gate.
func (m *Metrics) Listen(addr string, log *slog.Logger) (*Server, error) {
	ln, err := m.gate.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics scrapes on %s (metrics.listen): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+wire.PathMetrics, m.Handler())
	return &Server{ln: ln, http: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      scrapeTimeout + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}}, nil
}

// Addr is where the server listens.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve answers scrapes until Close; it returns nil then.
func (s *Server) Serve() error {
	err := s.http.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve metrics on %s: %w", s.ln.Addr(), err)
}

// Close stops the server, letting scrapes in flight finish until ctx
// ends. Before Serve it closes the listener.
func (s *Server) Close(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	_ = s.ln.Close() // when Serve never ran; else already closed
	if err != nil {
		return s.http.Close()
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
)

// checkPprofAddr reports whether addr may serve profiles: a loopback
// host:port, since a profile shows memory, which may hold message text.
func checkPprofAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("PAYBOT_PPROF_ADDR=%q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("PAYBOT_PPROF_ADDR=%q: profiles are served on a loopback address only (127.0.0.1:6060)", addr)
	}
	return nil
}

// startPprof serves Go's runtime profiles (net/http/pprof) on addr, a
// listener of its own, so the profiles are never reachable through the
// public platform listener, until ctx ends. Off unless PAYBOT_PPROF_ADDR
// is set. Errors: addr is not a loopback host:port (checkPprofAddr), or
// cannot be bound.
func startPprof(ctx context.Context, addr string, log *slog.Logger) error {
	if err := checkPprofAddr(addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("PAYBOT_PPROF_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux} //nolint:gosec // loopback only; a CPU profile runs for as long as asked
	go func() { _ = srv.Serve(ln) }()
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	log.Info("profiles served", "addr", ln.Addr().String())
	return nil
}

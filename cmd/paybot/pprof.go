package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
)

// startPprof serves Go's runtime profiles (net/http/pprof) on addr, a
// listener of its own, so the profiles are never reachable through the
// public platform listener. addr must be a loopback address: a profile
// shows memory, which may hold message text. Off unless PAYBOT_PPROF_ADDR
// is set. Errors: addr is not a loopback host:port, or cannot be bound.
func startPprof(addr string, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("PAYBOT_PPROF_ADDR=%q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("PAYBOT_PPROF_ADDR=%q: profiles are served on a loopback address only (127.0.0.1:6060)", addr)
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
	log.Info("profiles served", "addr", ln.Addr().String())
	go func() { _ = http.Serve(ln, mux) }() //nolint:gosec // loopback only, profiles need no timeouts
	return nil
}

package main

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Limits at the door (issue 9).

// HTTP server timeouts. Slack and Discord send small requests and wait at
// most 3 s for the answer, so a client that dribbles its body or holds an
// idle connection is cut off instead of holding a goroutine and a socket.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second // the whole request, body included
	writeTimeout      = 15 * time.Second // the handler and its response
	idleTimeout       = 60 * time.Second // keep-alive between requests
	maxHeaderBytes    = 64 << 10
)

// newHTTPServer is the one way cmd/paybot builds its HTTP server.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// secureDataDir creates the data directory owner-only (0700) and, when it
// already exists, makes it and everything in it owner-only (directories
// 0700, files 0600): the database, its -wal and -shm, the knowledge-base
// index and the log may hold incident details. Symbolic links are left
// alone.
func secureDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walked (a rotated WAL)
			}
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			return nil
		case d.IsDir():
			return chmodIfNeeded(p, d, 0o700)
		default:
			return chmodIfNeeded(p, d, 0o600)
		}
	})
}

func chmodIfNeeded(p string, d fs.DirEntry, mode fs.FileMode) error {
	info, err := d.Info()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if info.Mode().Perm() == mode {
		return nil
	}
	if err := os.Chmod(p, mode); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/sqlite"
	"github.com/paybot/paybot/incidents/storetest"
)

func openAt(t testing.TB, dir string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "paybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dir string) incidents.Store { return openAt(t, dir) })
}

func TestGatewayStore(t *testing.T) {
	storetest.RunGateway(t, func(t *testing.T, dir string) incidents.Store { return openAt(t, dir) })
}

func TestKBDocStore(t *testing.T) {
	storetest.RunKBDocs(t, func(t *testing.T, dir string) incidents.Store { return openAt(t, dir) })
}

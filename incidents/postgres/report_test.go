package postgres_test

import (
	"context"
	"testing"

	"github.com/paybot/paybot/incidents/storetest"
)

func TestReportSource(t *testing.T) {
	admin(t).Close(context.Background())
	storetest.RunReport(t, openAt)
}

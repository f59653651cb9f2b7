package sqlite_test

import (
	"testing"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/storetest"
)

func TestReportSource(t *testing.T) {
	storetest.RunReport(t, func(t *testing.T, dir string) incidents.Store { return openAt(t, dir) })
}

func TestSystemJobs(t *testing.T) {
	storetest.RunSystemJobs(t, func(t *testing.T, dir string) incidents.Store { return openAt(t, dir) })
}

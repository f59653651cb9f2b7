package sqlite_test

import (
	"testing"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/storetest"
)

func TestJobsAndOutbox(t *testing.T) {
	storetest.RunJobs(t, func(t *testing.T, dir string) incidents.Store { return openAt(t, dir) })
}

func TestPacing(t *testing.T) {
	storetest.RunPacing(t, func(t *testing.T, dir string) incidents.Store { return openAt(t, dir) })
}

func TestReplyState(t *testing.T) {
	storetest.RunReplyState(t, func(t *testing.T, dir string) incidents.Store { return openAt(t, dir) })
}

func TestStats(t *testing.T) {
	storetest.RunStats(t, func(t *testing.T, dir string) incidents.Store { return openAt(t, dir) })
}

package migrations

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_jobs.sql": {Data: []byte("CREATE TABLE b (x);")},
		"m/0001_init.sql": {Data: []byte("CREATE TABLE a (x);")},
	}
	ms, err := Load(fsys, "m")
	if err != nil || len(ms) != 2 || ms[0].Version != 1 || ms[1].Name != "0002_jobs.sql" || !strings.Contains(ms[1].SQL, "TABLE b") {
		t.Fatalf("Load = %+v, %v", ms, err)
	}
	for name, files := range map[string]fstest.MapFS{
		"unnumbered": {"m/init.sql": {}},
		"zero":       {"m/0000_init.sql": {}},
		"twice":      {"m/0001_a.sql": {}, "m/01_b.sql": {}},
	} {
		if _, err := Load(files, "m"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

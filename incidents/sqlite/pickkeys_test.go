package sqlite

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzPickKeys checks the in-place reader against encoding/json on every
// object encoding/json can write.
func FuzzPickKeys(f *testing.F) {
	f.Add("to", "open", "from", "intake")
	f.Add("number", `CS-1 "quoted"`, "text", `"to":"x"`)
	f.Add("event", "desk_reply", "to", `a\b`)
	f.Add("to", "", "tox", "y")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		raw, err := json.Marshal(map[string]string{k1: v1, k2: v2})
		if err != nil {
			return
		}
		var full map[string]string
		if err := json.Unmarshal(raw, &full); err != nil {
			t.Fatal(err)
		}
		keys := []string{"to", "number", "event"}
		got, err := pickKeys(raw, keys)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for _, k := range keys {
			if v, ok := full[k]; ok {
				want[k] = v
			}
		}
		if len(got) == 0 && len(want) == 0 {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("pickKeys(%s) = %v, want %v", raw, got, want)
		}
	})
}

package kb

import (
	"context"
	"strings"
	"testing"
)

func TestImportRedacts(t *testing.T) {
	in := `{"id":"c1","title":"refund to 4111 1111 1111 1111","body":"use sk_live_51HxYz2eZvKYlo2C0abcdef123 and card 5555.5555.5555.4444","tags":["4242424242424242"]}` + "\n"
	docs, problems := ImportJSONL(strings.NewReader(in))
	if len(docs) != 1 || len(problems) != 0 {
		t.Fatalf("docs %v problems %v", docs, problems)
	}
	d := docs[0]
	for _, leak := range []string{"4111 1111", "sk_live_", "5555.5555", "42424242"} {
		if strings.Contains(d.Title+d.Body+strings.Join(d.Tags, " "), leak) {
			t.Errorf("%q left in %+v", leak, d)
		}
	}
	art, err := ParseArticle("a.md", []byte("---\ntitle: t\n---\npassword: hunter2 and AKIAIOSFODNN7EXAMPLE\n"))
	if err != nil || strings.Contains(art.Body, "hunter2") || strings.Contains(art.Body, "AKIA") {
		t.Fatalf("article %+v %v", art, err)
	}
}

func TestUpsertRedacts(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if err := ix.Upsert(context.Background(), Doc{ID: "community:x", Title: "card 4111111111111111 declined", Body: "cvv 123 was sent"}); err != nil {
		t.Fatal(err)
	}
	docs, err := ix.Docs()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if strings.Contains(d.Title+d.Body, "4111111111111111") || strings.Contains(d.Body, "123") {
			t.Errorf("leak in %+v", d)
		}
	}
}

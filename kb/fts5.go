package kb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode"

	_ "modernc.org/sqlite" // FTS5 baseline
)

// FTS5 is the comparison baseline: SQLite FTS5 with its bm25 ranking over
// the same documents (porter + unicode61 tokenizer; title weighted 2, body
// 1, tags 1), queried with the question's words OR-ed together. It has no
// code normalisation, synonyms or typo handling.
type FTS5 struct {
	db *sql.DB
}

// NewFTS5 creates the baseline database at path (a file; it is replaced)
// and loads docs.
func NewFTS5(ctx context.Context, path string, docs []Doc) (*FTS5, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=busy_timeout(5000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	f := &FTS5{db: db}
	if _, err := db.ExecContext(ctx, `DROP TABLE IF EXISTS docs`); err != nil {
		_ = db.Close()
		return nil, err
	}
	if _, err := db.ExecContext(ctx, `CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, kind UNINDEXED, title, body, tags, tokenize='porter unicode61')`); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("fts5: %w", err)
	}
	if err := f.Add(ctx, docs); err != nil {
		_ = db.Close()
		return nil, err
	}
	return f, nil
}

// Add inserts documents in one transaction.
func (f *FTS5) Add(ctx context.Context, docs []Doc) error {
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO docs(id, kind, title, body, tags) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	for _, d := range docs {
		if _, err := st.ExecContext(ctx, d.ID, d.Kind, d.Title, d.Body, strings.Join(d.Tags, " ")); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	_ = st.Close()
	return tx.Commit()
}

// Search runs the question as an OR of its words, ranked by bm25.
func (f *FTS5) Search(ctx context.Context, q string, limit int) (Result, error) {
	res := Result{Query: q, Hits: []Hit{}}
	if limit <= 0 {
		limit = 5
	}
	var terms []string
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if !seen[w] {
			seen[w] = true
			terms = append(terms, `"`+w+`"`)
		}
	}
	if len(terms) == 0 {
		return res, nil
	}
	rows, err := f.db.QueryContext(ctx, `SELECT id, kind, title, bm25(docs, 0, 0, 2.0, 1.0, 1.0) AS s FROM docs WHERE docs MATCH ? ORDER BY s LIMIT ?`, strings.Join(terms, " OR "), limit)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	for rows.Next() {
		var h Hit
		if err := rows.Scan(&h.ID, &h.Kind, &h.Title, &h.Score); err != nil {
			return res, err
		}
		h.Score = -h.Score
		res.Hits = append(res.Hits, h)
	}
	res.Confident = len(res.Hits) > 0
	return res, rows.Err()
}

// Close closes the database.
func (f *FTS5) Close() error { return f.db.Close() }

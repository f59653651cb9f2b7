package kb

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"
	bolterrors "go.etcd.io/bbolt/errors"
)

// On-disk layout under <data dir>/kb/:
//
//	CURRENT        name of the live index directory
//	index-<stamp>/ the bleve scorch index (BM25)
//	sources.jsonl  every document given to Upsert (imports, community
//	               answers, incidents) and delete tombstones, so that a
//	               rebuild can recreate them; compacted by Rebuild
//	articles.json  fingerprint of the Markdown articles last indexed
const (
	currentFile  = "CURRENT"
	sourcesFile  = "sources.jsonl"
	articlesFile = "articles.json"
	batchSize    = 1000

	analyzerText    = "kbtext"
	analyzerKeyword = "kbkeyword"
)

// Index is the knowledge-base search index. It is safe for concurrent use.
type Index struct {
	dir  string // <data dir>/kb
	opts Options

	mu     sync.Mutex // serialises writers: Upsert, Delete, Rebuild, Close
	alias  bleve.IndexAlias
	cur    atomic.Pointer[generation]
	closed atomic.Bool

	repaired string // what Open repaired, for the log

	probMu          sync.Mutex
	articleProblems []ArticleProblem

	writes  atomic.Uint64 // bumped by every write; invalidates vocab
	vocab   atomic.Pointer[vocab]
	vocabMu sync.Mutex
}

type generation struct {
	name string
	idx  bleve.Index
}

// newMapping builds the index mapping: BM25 scoring, text fields analysed
// with an English analyzer that also splits snake_case and kebab-case, and
// keyword fields for codes, kind, provider and source. There is no _all
// field and no doc values: search never sorts or facets, and that keeps
// indexing fast.
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	im.ScoringModel = index.BM25Scoring
	if err := im.AddCustomAnalyzer(analyzerText, map[string]interface{}{
		"type":          custom.Name,
		"char_filters":  []string{separatorCharFilterName},
		"tokenizer":     wordTokenizerName,
		"token_filters": []string{en.PossessiveName, lowercase.Name, en.StopName, stemFilterName},
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomAnalyzer(analyzerKeyword, map[string]interface{}{
		"type":          custom.Name,
		"tokenizer":     single.Name,
		"token_filters": []string{lowercase.Name},
	}); err != nil {
		return nil, err
	}
	im.DefaultAnalyzer = analyzerText
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false

	// Every field is its own: no _all, no term vectors, no doc values.
	field := func(analyzer string, index, store bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Index = index
		f.Store = store
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = false
		return f
	}
	text := func(store bool) *mapping.FieldMapping { return field(analyzerText, true, store) }
	keyword := func() *mapping.FieldMapping { return field(analyzerKeyword, true, true) }
	stored := func() *mapping.FieldMapping { return field("", false, true) }
	dm := bleve.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt("title", text(true))
	dm.AddFieldMappingsAt("body", text(true))
	dm.AddFieldMappingsAt("tags", text(true))
	dm.AddFieldMappingsAt("codes", keyword())
	dm.AddFieldMappingsAt("kind", keyword())
	dm.AddFieldMappingsAt("provider", keyword())
	dm.AddFieldMappingsAt("source", keyword())
	dm.AddFieldMappingsAt("url", stored())
	dm.AddFieldMappingsAt("question", text(false))
	dm.AddFieldMappingsAt("fix", text(true))
	dm.AddFieldMappingsAt("rootcause", text(true))
	dm.AddFieldMappingsAt("author", stored())
	dm.AddFieldMappingsAt("author_id", stored())
	dm.AddFieldMappingsAt("created", stored())
	// passage documents (passage.go): their own fields, so that the
	// statistics of the article fields do not change
	dm.AddFieldMappingsAt("parent", keyword())
	dm.AddFieldMappingsAt("section", stored())
	dm.AddFieldMappingsAt("pheading", text(true))
	dm.AddFieldMappingsAt("ptext", text(true))
	dm.AddFieldMappingsAt("psig", stored())
	dm.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping()) // no composite _all field
	im.DefaultMapping = dm
	if err := im.Validate(); err != nil {
		return nil, err
	}
	return im, nil
}

var knownProviders = toSet(strings.Fields(`stripe paypal square adyen braintree checkout worldpay
authorize.net authorizenet klarna mollie razorpay nacha ach`))

// indexable turns a Doc into the bleve document.
func indexable(d Doc) map[string]interface{} {
	prov := strings.ToLower(strings.TrimSpace(d.Provider))
	if prov == "" {
		for _, t := range d.Tags {
			if lt := strings.ToLower(t); knownProviders[lt] {
				prov = lt
				break
			}
		}
	}
	m := map[string]interface{}{
		"title": d.Title,
		"body":  d.Body,
		"codes": docCodes(d),
		"kind":  d.Kind,
	}
	if len(d.Tags) > 0 {
		m["tags"] = d.Tags
	}
	if prov != "" {
		m["provider"] = prov
	}
	if d.Source != "" {
		m["source"] = d.Source
	}
	if d.URL != "" {
		m["url"] = d.URL
	}
	if d.Kind == KindCommunity {
		m["question"] = d.Title
	}
	if d.Fix != "" {
		m["fix"] = d.Fix
	}
	if d.RootCause != "" {
		m["rootcause"] = d.RootCause
	}
	if d.Author != "" {
		m["author"] = d.Author
	}
	if d.AuthorID != "" {
		m["author_id"] = d.AuthorID
	}
	if d.Created != "" {
		m["created"] = d.Created
	}
	if splitsIntoPassages(d) {
		m["psig"] = passageMark
	}
	return m
}

// addDoc adds d and its passage documents to a batch. A document with
// sections also deletes the passage ids it no longer uses (an earlier
// version had more sections); a document without sections leaves any
// passages of an earlier version in place, where the search ignores them
// because the document no longer carries passageMark, until the next
// rebuild (so that a bulk import of plain records pays nothing for
// passages).
func addDoc(b *bleve.Batch, d Doc) error {
	if err := b.Index(d.ID, indexable(d)); err != nil {
		return err
	}
	ps := passagesOf(d)
	for _, p := range ps {
		if err := b.Index(p.ID, p.indexable()); err != nil {
			return err
		}
	}
	if len(ps) > 0 {
		for n := len(ps); n < maxPassages; n++ {
			b.Delete(passageID(d.ID, n))
		}
	}
	return nil
}

// deleteDoc deletes a document and every passage it may have.
func deleteDoc(b *bleve.Batch, id string) {
	b.Delete(id)
	for n := 0; n < maxPassages; n++ {
		b.Delete(passageID(id, n))
	}
}

func normaliseDoc(d Doc) (Doc, error) {
	d.Tags, d.Codes = append([]string(nil), d.Tags...), append([]string(nil), d.Codes...)
	RedactDoc(&d) // every write (Upsert, Rebuild, learn) passes here
	d.ID = strings.TrimSpace(d.ID)
	if d.ID == "" {
		return d, errors.New("document without id")
	}
	if reservedID(d.ID) {
		// Every new document passes here: Upsert, Rebuild's extras, bulk
		// loads and the store's Normalise. (The sources log replayed on a
		// rebuild does not, so a data directory that holds such an id
		// from before still opens.)
		return d, fmt.Errorf("document %q: %s", d.ID, errReservedID)
	}
	if strings.TrimSpace(d.Title) == "" {
		return d, fmt.Errorf("document %q has no title", d.ID)
	}
	if strings.TrimSpace(d.Body) == "" {
		return d, fmt.Errorf("document %q has no body", d.ID)
	}
	d.Kind = strings.ToLower(strings.TrimSpace(d.Kind))
	if d.Kind == "" {
		d.Kind = KindCommunity
	}
	if !validKind(d.Kind) {
		return d, fmt.Errorf("document %q has unknown kind %q", d.ID, d.Kind)
	}
	return d, nil
}

// Exists reports whether dataDir holds a knowledge-base index (one Open
// would open rather than create).
func Exists(dataDir string) bool {
	_, err := os.Stat(filepath.Join(dataDir, "kb", currentFile))
	return err == nil
}

// Open opens the knowledge base under dataDir/kb, creating it and indexing
// the starter articles, opts.ArticlesDir and any persisted sources on first
// use. An existing index is opened without re-indexing (only Markdown
// articles whose content changed since the last open are re-indexed). When
// another process holds the index, Open fails after opts.Timeout with an
// error that wraps ErrIndexInUse.
func Open(ctx context.Context, dataDir string, opts Options) (*Index, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	dir := filepath.Join(dataDir, "kb")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("kb: %w", err)
	}
	ix := &Index{dir: dir, opts: opts}
	name, _ := os.ReadFile(filepath.Join(dir, currentFile))
	cur := strings.TrimSpace(string(name))
	if cur != "" && !strings.ContainsAny(cur, `/\`) {
		if _, err := os.Stat(filepath.Join(dir, cur)); err == nil {
			idx, err := openChecked(filepath.Join(dir, cur), ix.runtimeConfig())
			switch {
			case err != nil && errors.Is(ix.openError(err), ErrIndexInUse):
				return nil, ix.openError(err)
			case err != nil:
				// A damaged index (a truncated or overwritten file) is
				// rebuilt from its sources below: the articles and
				// sources.jsonl hold every document.
				// bleve's error can span lines (it quotes the mapping it
				// could not parse): one line in the log.
				ix.repaired = fmt.Sprintf("the index %s was damaged (%s); rebuilt from its sources", cur, strings.Join(strings.Fields(err.Error()), " "))
			case indexLayout(idx) != layoutVersion:
				// Built by an earlier version (without passage documents):
				// rebuilt from its sources below, once.
				_ = idx.Close()
				ix.repaired = fmt.Sprintf("the index %s was built by an earlier version; rebuilt from its sources with passages", cur)
			default:
				if err := ix.replaySources(ctx, idx); err != nil {
					_ = idx.Close()
					return nil, err
				}
				ix.install(&generation{name: cur, idx: idx})
				ix.removeStale(cur)
				if err := ix.syncArticles(ctx); err != nil {
					_ = ix.Close()
					return nil, err
				}
				return ix, nil
			}
		}
	}
	// first start, or a damaged index: build from all sources
	g, err := ix.build(ctx, nil)
	if err != nil {
		return nil, err
	}
	ix.install(g)
	if err := ix.setCurrent(g.name); err != nil {
		_ = ix.Close()
		return nil, err
	}
	ix.removeStale(g.name)
	return ix, nil
}

// Repaired says what Open repaired ("" when the index opened cleanly).
func (ix *Index) Repaired() string { return ix.repaired }

// openChecked opens an index directory and checks that it answers: the
// metadata parses, the segments open, the document count and a search over
// every field work. bleve or zap may panic on an overwritten segment; that
// is an error here too.
func openChecked(path string, cfg map[string]interface{}) (idx bleve.Index, err error) {
	defer func() {
		if r := recover(); r != nil {
			if idx != nil {
				func() {
					defer func() { _ = recover() }()
					_ = idx.Close()
				}()
			}
			idx, err = nil, fmt.Errorf("index is damaged: %v", r)
		}
	}()
	if _, err := os.Stat(filepath.Join(path, "index_meta.json")); err != nil {
		return nil, fmt.Errorf("index metadata: %w", err)
	}
	idx, err = bleve.OpenUsing(path, cfg)
	if err != nil {
		return nil, err
	}
	fail := func(e error) (bleve.Index, error) {
		_ = idx.Close()
		return nil, e
	}
	n, err := idx.DocCount()
	if err != nil {
		return fail(err)
	}
	req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), 20, int(n/2), false)
	req.Fields = hitFields
	if _, err := idx.Search(req); err != nil {
		return fail(err)
	}
	for _, f := range []string{"title", "body", "codes"} {
		q := bleve.NewTermQuery("payment")
		q.SetField(f)
		if _, err := idx.Search(bleve.NewSearchRequestOptions(q, 5, 0, false)); err != nil {
			return fail(err)
		}
	}
	return idx, nil
}

// runtimeConfig is the scorch configuration. Batches are "unsafe" (a batch
// returns once it is searchable, not once it is on disk): sources.jsonl is
// the durable log, written and fsynced before each batch, and the offset of
// the log that the index holds is stored inside the index with every batch.
// Open replays whatever the index lost in a crash; Close waits until
// everything is persisted.
func (ix *Index) runtimeConfig() map[string]interface{} {
	return map[string]interface{}{
		"bolt_timeout": ix.opts.Timeout.String(),
		"unsafe_batch": true,
	}
}

// offsetKey is the internal key holding the sources.jsonl offset indexed.
var offsetKey = []byte("kb.sources.offset")

func indexedOffset(idx bleve.Index) (int64, bool) {
	v, err := idx.GetInternal(offsetKey)
	if err != nil || v == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	return n, err == nil
}

// replaySources indexes the records of sources.jsonl after the offset the
// index holds (a crash between the log write and persistence).
func (ix *Index) replaySources(ctx context.Context, idx bleve.Index) error {
	off, ok := indexedOffset(idx)
	f, err := os.Open(filepath.Join(ix.dir, sourcesFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("kb: sources: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if ok && off >= fi.Size() {
		return nil
	}
	if !ok {
		off = 0
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	recs, err := readRecords(f)
	if err != nil {
		return err
	}
	b := idx.NewBatch()
	for _, r := range recs {
		if r.Deleted {
			deleteDoc(b, r.ID)
		} else if err := addDoc(b, r.Doc); err != nil {
			return err
		}
		if b.Size() >= batchSize {
			if err := idx.Batch(b); err != nil {
				return err
			}
			b.Reset()
		}
	}
	b.SetInternal(offsetKey, []byte(strconv.FormatInt(fi.Size(), 10)))
	return idx.Batch(b)
}

// flush waits until everything indexed so far is persisted.
func flush(idx bleve.Index, timeout time.Duration) error {
	done := make(chan error, 1)
	b := idx.NewBatch()
	b.SetInternal([]byte("kb.flush"), []byte(time.Now().UTC().Format(time.RFC3339Nano)))
	b.SetPersistedCallback(func(err error) {
		select {
		case done <- err:
		default:
		}
	})
	if err := idx.Batch(b); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return errors.New("kb: timed out waiting for the index to reach disk")
	}
}

func (ix *Index) openError(err error) error {
	if errors.Is(err, bolterrors.ErrTimeout) || strings.Contains(err.Error(), "timeout") {
		return fmt.Errorf("%w (%s; waited %s)", ErrIndexInUse, ix.dir, ix.opts.Timeout)
	}
	return fmt.Errorf("kb: open index: %w", err)
}

func (ix *Index) install(g *generation) {
	ix.cur.Store(g)
	ix.alias = bleve.NewIndexAlias(g.idx)
}

// build creates a fresh index generation from every source plus extra.
func (ix *Index) build(ctx context.Context, extra []Doc) (*generation, error) {
	im, err := newMapping()
	if err != nil {
		return nil, err
	}
	name := "index-" + time.Now().UTC().Format("20060102T150405.000000000")
	path := filepath.Join(ix.dir, name)
	idx, err := bleve.NewUsing(path, im, scorch.Name, scorch.Name, ix.runtimeConfig())
	if err != nil {
		return nil, ix.openError(err)
	}
	fail := func(err error) (*generation, error) {
		_ = idx.Close()
		_ = os.RemoveAll(path)
		return nil, err
	}
	arts, err := ix.articles()
	if err != nil {
		return fail(err)
	}
	if err := indexDocs(ctx, idx, arts, -1); err != nil {
		return fail(err)
	}
	mark := idx.NewBatch()
	mark.SetInternal(articlesKey, []byte(articlesHash(arts)))
	mark.SetInternal(layoutKey, []byte(layoutVersion))
	if err := idx.Batch(mark); err != nil {
		return fail(err)
	}
	if err := ix.writeArticlesMeta(arts); err != nil {
		return fail(err)
	}
	src, size, err := ix.readSources()
	if err != nil {
		return fail(err)
	}
	if err := indexDocs(ctx, idx, src, size); err != nil {
		return fail(err)
	}
	if err := flush(idx, 5*time.Minute); err != nil {
		return fail(err)
	}
	if err := optimize(ctx, idx); err != nil {
		return fail(err)
	}
	return &generation{name: name, idx: idx}, nil
}

// indexDocs indexes docs in batches; when offset >= 0 the last batch also
// records the sources.jsonl offset that the index now holds.
func indexDocs(ctx context.Context, idx bleve.Index, docs []Doc, offset int64) error {
	// Bulk writes (kb import) go in larger batches: fewer, larger segments
	// leave the merger less to do.
	per := batchSize
	if len(docs) >= importBatch {
		per = importBatch
	}
	b := idx.NewBatch()
	for _, d := range docs {
		if err := addDoc(b, d); err != nil {
			return fmt.Errorf("kb: index %q: %w", d.ID, err)
		}
		if b.Size() >= per {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := idx.Batch(b); err != nil {
				return fmt.Errorf("kb: index batch: %w", err)
			}
			b.Reset()
		}
	}
	if offset >= 0 {
		b.SetInternal(offsetKey, []byte(strconv.FormatInt(offset, 10)))
	}
	if b.Size() > 0 || offset >= 0 {
		if err := idx.Batch(b); err != nil {
			return fmt.Errorf("kb: index batch: %w", err)
		}
	}
	return nil
}

func (ix *Index) setCurrent(name string) error {
	tmp := filepath.Join(ix.dir, currentFile+".tmp")
	if err := os.WriteFile(tmp, []byte(name+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(ix.dir, currentFile))
}

// removeStale deletes index generations left behind by an interrupted
// rebuild. It runs only while this process holds the live index.
func (ix *Index) removeStale(keep string) {
	ents, _ := os.ReadDir(ix.dir)
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), "index-") && e.Name() != keep {
			_ = os.RemoveAll(filepath.Join(ix.dir, e.Name()))
		}
	}
}

type articlesMeta struct {
	Hash string   `json:"hash"`
	IDs  []string `json:"ids"`
}

func articlesHash(arts []Doc) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, a := range arts {
		_ = enc.Encode(a)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (ix *Index) writeArticlesMeta(arts []Doc) error {
	m := articlesMeta{Hash: articlesHash(arts)}
	for _, a := range arts {
		m.IDs = append(m.IDs, a.ID)
	}
	data, _ := json.Marshal(m)
	tmp := filepath.Join(ix.dir, articlesFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(ix.dir, articlesFile))
}

// syncArticles re-indexes the Markdown articles when they differ from the
// ones indexed last time (a new binary, an edited articles directory).
func (ix *Index) syncArticles(ctx context.Context) error {
	arts, err := ix.articles()
	if err != nil {
		return err
	}
	var old articlesMeta
	if data, err := os.ReadFile(filepath.Join(ix.dir, articlesFile)); err == nil {
		_ = json.Unmarshal(data, &old)
	}
	h := articlesHash(arts)
	// The index holds the hash of the articles it indexed too: after a
	// crash or a damaged segment scorch may open an older snapshot, which
	// lacks articles that articles.json says are indexed.
	in, _ := ix.cur.Load().idx.GetInternal(articlesKey)
	if old.Hash == h && string(in) == h {
		return nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	g := ix.cur.Load()
	keep := map[string]bool{}
	for _, a := range arts {
		keep[a.ID] = true
	}
	b := g.idx.NewBatch()
	for _, id := range old.IDs {
		if !keep[id] {
			deleteDoc(b, id)
		}
	}
	if b.Size() > 0 {
		if err := g.idx.Batch(b); err != nil {
			return err
		}
	}
	if err := indexDocs(ctx, g.idx, arts, -1); err != nil {
		return err
	}
	mark := g.idx.NewBatch()
	mark.SetInternal(articlesKey, []byte(h))
	if err := g.idx.Batch(mark); err != nil {
		return err
	}
	if err := flush(g.idx, time.Minute); err != nil {
		return err
	}
	return ix.writeArticlesMeta(arts)
}

// articlesKey is the internal key holding the hash of the articles indexed.
var articlesKey = []byte("kb.articles.hash")

// layoutKey holds the layout of the index's documents (layoutVersion). An
// index of another layout, built by an earlier version, is rebuilt from its
// sources when it opens: "2" added the passage documents and their fields;
// "3" indexes a title's upper-case short codes (AB7, GW-31) as codes.
var layoutKey = []byte("kb.layout")

const layoutVersion = "3"

func indexLayout(idx bleve.Index) string {
	v, err := idx.GetInternal(layoutKey)
	if err != nil {
		return ""
	}
	return string(v)
}

// sourceRec is one line of sources.jsonl.
type sourceRec struct {
	Doc
	Deleted bool `json:"deleted,omitempty"`
}

// appendSources appends records to sources.jsonl, fsyncs, and returns the
// new size of the file.
func (ix *Index) appendSources(recs []sourceRec) (int64, error) {
	data, err := encodeRecords(recs)
	if err != nil {
		return 0, fmt.Errorf("kb: sources: %w", err)
	}
	return ix.appendSourcesData(data)
}

// encodeSources encodes documents as sources.jsonl lines.
func encodeSources(docs []Doc) ([]byte, error) {
	recs := make([]sourceRec, len(docs))
	for i, d := range docs {
		recs[i] = sourceRec{Doc: d}
	}
	data, err := encodeRecords(recs)
	if err != nil {
		return nil, fmt.Errorf("kb: sources: %w", err)
	}
	return data, nil
}

func encodeRecords(recs []sourceRec) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// appendSourcesData appends encoded records (encodeRecords) to
// sources.jsonl with one write, fsyncs, and returns the new size of the
// file.
func (ix *Index) appendSourcesData(data []byte) (int64, error) {
	size, err := ix.appendSourcesFile(data)
	if err != nil {
		return 0, fmt.Errorf("kb: sources: %w", err)
	}
	return size, nil
}

func (ix *Index) appendSourcesFile(data []byte) (int64, error) {
	f, err := os.OpenFile(filepath.Join(ix.dir, sourcesFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return 0, err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return 0, err
	}
	return fi.Size(), f.Close()
}

// readSources returns the live persisted documents (last write wins,
// tombstones applied), in first-seen order, and the size of the file read.
func (ix *Index) readSources() ([]Doc, int64, error) {
	f, err := os.Open(filepath.Join(ix.dir, sourcesFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("kb: sources: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	recs, err := readRecords(io.LimitReader(f, fi.Size()))
	if err != nil {
		return nil, 0, err
	}
	pos := map[string]int{}
	var docs []Doc
	var dead []bool
	for _, r := range recs {
		if i, ok := pos[r.ID]; ok {
			docs[i], dead[i] = r.Doc, r.Deleted
		} else {
			pos[r.ID] = len(docs)
			docs = append(docs, r.Doc)
			dead = append(dead, r.Deleted)
		}
	}
	out := docs[:0]
	for i, d := range docs {
		if !dead[i] {
			out = append(out, d)
		}
	}
	return out, fi.Size(), nil
}

// readRecords parses sources.jsonl records; a torn last line is ignored.
func readRecords(r io.Reader) ([]sourceRec, error) {
	br := bufio.NewReaderSize(r, 256*1024)
	var recs []sourceRec
	for {
		line, err := br.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) > 0 {
			var rec sourceRec
			if json.Unmarshal(line, &rec) == nil && rec.ID != "" {
				recs = append(recs, rec)
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return recs, nil
			}
			return nil, fmt.Errorf("kb: sources: %w", err)
		}
	}
}

func (ix *Index) compactSources(docs []Doc) error {
	tmp := filepath.Join(ix.dir, sourcesFile+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 256*1024)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, d := range docs {
		if err := enc.Encode(sourceRec{Doc: d}); err != nil {
			_ = f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(ix.dir, sourcesFile))
}

// Upsert adds or replaces documents (by id), in batches. The documents are
// also appended to the sources file so that Rebuild keeps them. Kind
// defaults to "community".
func (ix *Index) Upsert(ctx context.Context, docs ...Doc) error {
	if ix.closed.Load() {
		return ErrClosed
	}
	if len(docs) == 0 {
		return nil
	}
	recs := make([]sourceRec, len(docs))
	clean := make([]Doc, len(docs))
	for i, d := range docs {
		nd, err := normaliseDoc(d)
		if err != nil {
			return fmt.Errorf("kb: upsert: %w", err)
		}
		clean[i] = nd
		recs[i] = sourceRec{Doc: nd}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed.Load() {
		return ErrClosed
	}
	size, err := ix.appendSources(recs)
	if err != nil {
		return err
	}
	defer ix.writes.Add(1)
	return indexDocs(ctx, ix.cur.Load().idx, clean, size)
}

// Delete removes documents by id (from the index and from the persisted
// sources). Unknown ids are ignored.
func (ix *Index) Delete(ctx context.Context, ids ...string) error {
	if ix.closed.Load() {
		return ErrClosed
	}
	if len(ids) == 0 {
		return nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed.Load() {
		return ErrClosed
	}
	recs := make([]sourceRec, 0, len(ids))
	for _, id := range ids {
		recs = append(recs, sourceRec{Doc: Doc{ID: id}, Deleted: true})
	}
	size, err := ix.appendSources(recs)
	if err != nil {
		return err
	}
	defer ix.writes.Add(1)
	idx := ix.cur.Load().idx
	b := idx.NewBatch()
	for _, id := range ids {
		deleteDoc(b, id)
		if b.Size() >= batchSize {
			if err := idx.Batch(b); err != nil {
				return err
			}
			b.Reset()
		}
	}
	b.SetInternal(offsetKey, []byte(strconv.FormatInt(size, 10)))
	return idx.Batch(b)
}

// Rebuild builds a fresh index from every source (starter articles, the
// articles directory, the persisted sources file) plus extra (which is
// persisted like an Upsert), and swaps it in through the IndexAlias:
// searches keep answering from the old index until the swap. Writers wait.
func (ix *Index) Rebuild(ctx context.Context, extra ...Doc) error {
	if ix.closed.Load() {
		return ErrClosed
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed.Load() {
		return ErrClosed
	}
	var clean []Doc
	for _, d := range extra {
		nd, err := normaliseDoc(d)
		if err != nil {
			return fmt.Errorf("kb: rebuild: %w", err)
		}
		clean = append(clean, nd)
	}
	if len(clean) > 0 {
		recs := make([]sourceRec, len(clean))
		for i, d := range clean {
			recs[i] = sourceRec{Doc: d}
		}
		if _, err := ix.appendSources(recs); err != nil {
			return err
		}
	}
	src, _, err := ix.readSources()
	if err != nil {
		return err
	}
	if err := ix.compactSources(src); err != nil {
		return fmt.Errorf("kb: compact sources: %w", err)
	}
	g, err := ix.build(ctx, nil)
	if err != nil {
		return err
	}
	old := ix.cur.Load()
	ix.alias.Swap([]bleve.Index{g.idx}, []bleve.Index{old.idx})
	ix.cur.Store(g)
	if err := ix.setCurrent(g.name); err != nil {
		return err
	}
	_ = old.idx.Close()
	_ = os.RemoveAll(filepath.Join(ix.dir, old.name))
	return nil
}

// Count returns the number of indexed documents (passage documents are
// parts of their articles and not counted).
func (ix *Index) Count() (uint64, error) {
	if ix.closed.Load() {
		return 0, ErrClosed
	}
	idx := ix.cur.Load().idx
	n, err := idx.DocCount()
	if err != nil {
		return 0, err
	}
	p := passageCount(idx)
	if p > n {
		return 0, nil
	}
	return n - p, nil
}

// passageCount is the number of passage documents in idx.
func passageCount(idx bleve.Index) uint64 {
	adv, err := idx.Advanced()
	if err != nil {
		return 0
	}
	r, err := adv.Reader()
	if err != nil {
		return 0
	}
	defer r.Close()
	return passageCountIn(context.Background(), r)
}

// passageCountIn counts the passage documents an index reader sees.
func passageCountIn(ctx context.Context, r index.IndexReader) uint64 {
	tfr, err := r.TermFieldReader(ctx, []byte(KindPassage), "kind", false, false, false)
	if err != nil {
		return 0
	}
	defer tfr.Close()
	return tfr.Count()
}

// Docs returns every document the index is built from (articles, then the
// persisted sources), as Rebuild would see them.
func (ix *Index) Docs() ([]Doc, error) {
	arts, err := ix.articles()
	if err != nil {
		return nil, err
	}
	src, _, err := ix.readSources()
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	var out []Doc
	for _, d := range append(arts, src...) {
		if i, ok := seen[d.ID]; ok {
			out[i] = d
			continue
		}
		seen[d.ID] = len(out)
		out = append(out, d)
	}
	return out, nil
}

// Close closes the index; the lock is released for other processes.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed.Swap(true) {
		return nil
	}
	if ix.alias != nil {
		_ = ix.alias.Close()
	}
	if g := ix.cur.Load(); g != nil {
		ferr := flush(g.idx, 2*time.Minute)
		if err := g.idx.Close(); err != nil {
			return err
		}
		return ferr
	}
	return nil
}

// Optimize merges the index into a single segment. Search is fastest on a
// merged index; after a bulk import (or in Rebuild) this saves the
// background merger a lot of work. Searches keep running meanwhile.
func (ix *Index) Optimize(ctx context.Context) error {
	if ix.closed.Load() {
		return ErrClosed
	}
	return optimize(ctx, ix.cur.Load().idx)
}

func optimize(ctx context.Context, idx bleve.Index) error {
	adv, err := idx.Advanced()
	if err != nil {
		return err
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return nil
	}
	return s.ForceMerge(ctx, &singlePassMerge)
}

// singlePassMerge merges every segment into one in a single merge task.
// scorch's own single-segment options merge ten segments per task, and a
// ForceMerge runs one plan: more than ten segments (a bulk load whose
// merging fell behind) would end as several.
var singlePassMerge = func() mergeplan.MergePlanOptions {
	o := mergeplan.SingleSegmentMergePlanOptions
	o.SegmentsPerMergeTask = 1 << 20
	return o
}()

func (ix *Index) articles() ([]Doc, error) {
	var docs []Doc
	var problems []ArticleProblem
	var err error
	if ix.opts.noStarter {
		if ix.opts.ArticlesDir == "" {
			return nil, nil
		}
		docs, problems, err = CheckArticlesDir(ix.opts.ArticlesDir)
	} else {
		docs, problems, err = allArticles(ix.opts.ArticlesDir)
	}
	if err != nil {
		return nil, err
	}
	ix.probMu.Lock()
	ix.articleProblems = problems
	ix.probMu.Unlock()
	return docs, nil
}

// ArticleProblems lists the Markdown articles skipped at the last load of
// the articles folder (bad front matter, a symbolic link, a repeated id),
// one per file; the other articles are indexed.
func (ix *Index) ArticleProblems() []ArticleProblem {
	ix.probMu.Lock()
	defer ix.probMu.Unlock()
	return append([]ArticleProblem(nil), ix.articleProblems...)
}

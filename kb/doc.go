// Package kb is search and search only: the bleve index of knowledge-base
// articles, community answers, reference codes and past incidents, the
// importers, and the query analysis that understands payment codes. It
// imports no chat SDK and nothing from bot/ or adapters/.
//
// # Index
//
// Open(ctx, dataDir, opts) keeps everything under <dataDir>/kb/:
//
//	CURRENT          name of the live index directory
//	index-<stamp>/   bleve v2 scorch index, BM25 (mapping.ScoringModel = "bm25")
//	sources.jsonl    durable log of every Upsert/Delete (imports, community
//	                 answers, incidents), so Rebuild and crash recovery can
//	                 recreate them; compacted by Rebuild
//	articles.json    fingerprint of the Markdown articles last indexed
//
// The first Open creates the index from the embedded starter articles
// (starter/*.md), Options.ArticlesDir (same id overrides) and sources.jsonl.
// Later opens do not re-index; only articles whose content changed are
// re-indexed. The index is opened with bolt_timeout = Options.Timeout
// (default 1s): a second process gets ErrIndexInUse instead of hanging.
//
// Writes append to sources.jsonl (fsync) and then index in batches of 1,000
// with scorch's unsafe_batch; the log offset is stored in the index with
// each batch, Open replays anything the index lost, and Close waits until
// the index is on disk. Rebuild builds a fresh index generation, merges it
// to one segment, and swaps it in through a bleve IndexAlias, so searches
// keep answering; writers wait. Optimize merges after a bulk import.
//
// Fields: title, body, tags, question, fix and rootcause (English analyzer: separators of codes
// become spaces, so do_not_honor indexes as "do not honor"; stop words;
// snowball stemming), and keyword fields codes, kind, provider and source.
// Passage documents (below) have fields of their own: parent (keyword),
// section, pheading and ptext. There is no _all field and there are no doc
// values. The index records its layout (kb.layout); an index of an earlier
// layout is rebuilt from its sources when it opens.
//
// # Query understanding
//
// Search(ctx, q, limit) analyses the question (query.go): chatty words and
// stop words go; codes are recognised in any spelling and reduced to one
// canonical keyword (05 = 5 = 005, R01 = r1 = R-01, do_not_honor =
// "do not honor", INSTRUMENT_DECLINED = "instrument declined", 3DS
// transStatus letters after "transStatus"); a code system named in the
// question (DE39, action code, transStatusReason, ACH, a provider) adds the
// qualified code "<system>:<code>"; payment synonyms expand with a lower
// weight; words of 5+ letters unknown to the index get one-typo correction
// (including swapped neighbours) towards the most frequent indexed word.
// Codes are extracted at index time from ids ("system:...:code"), titles
// and the front matter's codes.
//
// The BM25 candidates are re-ranked (search.go): normalised BM25 plus
// bonuses for holding a code of the question (typed, qualified by the named
// system, or a phrase that is a code), for belonging to the named system,
// and for being the reference record of a typed code, minus a penalty for
// another provider's or system's documents when the question names one.
// On large indexes, words in more than 1% (and 1,000) of the documents are
// left out when rarer words or codes are present (commonDF).
//
// Confidence: a hit is an answer when one of the question's codes is one of
// its codes, or when it covers enough of the question's IDF-weighted words
// and at least one payments word (domain.go); ConfidenceThreshold is
// calibrated on the dev questions, testdata/starter-questions.jsonl and the
// off-topic questions in testdata/offtopic.jsonl (TestConfidence).
//
// # Passages, community answers, incidents
//
// Articles (and reference records) with "## " headings are split into
// sections (passage.go), and each section is indexed beside its article as
// a passage document: kind "passage", id "<article>#<n>", the article's id,
// the section's kind (meaning, check, action, escalate, customer, other),
// heading and text. JSON Lines records without headings, community answers
// and past incidents stay one document. A search runs the question against
// the articles, with the BM25 statistics of the articles alone (so the
// passages change no article's score), and against the passages; a strong
// passage brings in an article that BM25 missed, and every hit gets a focus
// bonus for the share of the question that its title and best section (or
// whole text, without sections) hold. A hit shows the sentence or two that
// answer: "What to do" (always for do/retry/fix questions), "When to
// escalate" for who/escalate questions, the meaning's first sentence before
// the action for "what does it mean", the customer wording after the action
// for "what do we tell the customer". Passages are never hits, never
// counted and never returned by Get, which returns a whole document. Codes
// use incidents/paycode, the vocabulary the intake shares; a reference
// record of a known code family links to the page that documents the
// family (paycode.FamilyOf) instead of the repository it came from.
//
// Community answers (community.go) are learned with Learn: checked by
// CheckAnswer (no mentions of people, no contact details, no asking for
// card data), one per question and author (CommunityID), with author and
// date; the learned question is indexed as the strong field "question" and
// a close question gets a re-ranking bonus. RemoveCommunity lets the author
// or a manager remove one. Past incidents carry Fix and RootCause as
// fields of their own and show "Fix: … · Root cause: …".
//
// # Import and repair
//
// ParseStream (importstream.go) parses and masks JSON Lines in parallel
// and hands over 2,000-document batches; a Bulk load masks and logs each
// (one sources write and fsync) and indexes two at a time, the sources
// offset recorded once at the end. ImportStream is the two together;
// kb/kbstore's Follower.Import (paybot kb import) writes each batch to the
// store between them. Open
// checks the live index (openChecked: metadata, segments, a search over the
// stored fields) and rebuilds a damaged one from its sources; Repaired says
// so. A bad or symlinked Markdown article is skipped (CheckArticlesDir,
// ArticleProblems), never the whole knowledge base.
//
// # Evaluation and benchmark
//
// Eval scores a question file (top-1, top-3, MRR@10; gold ids may hold '*').
// NewFTS5 is the SQLite FTS5 bm25 baseline over the same documents.
// RunBench measures indexing, reopening, query latency, RSS and the FTS5
// ratio on SynthCorpus (deterministic). Tests that need ../shared (the
// reference corpus and dev questions) find it next to the repository root
// or through $PAYBOT_SHARED and skip with a message when it is absent; the
// 100k-document benchmark runs only with KB_BENCH=1.
package kb

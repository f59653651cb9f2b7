package kb

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

//go:embed starter/*.md
var starterFS embed.FS

// SourceInternalKB is the Source given to Markdown articles.
const SourceInternalKB = "internal KB"

const maxIDLen = 512

// jsonDoc is the import line format. Pointers tell "absent" from "empty".
type jsonDoc struct {
	ID       *string  `json:"id"`
	Title    *string  `json:"title"`
	Body     *string  `json:"body"`
	Kind     string   `json:"kind"`
	Tags     []string `json:"tags"`
	Codes    []string `json:"codes"`
	Provider string   `json:"provider"`
	Category string   `json:"category"`
	URL      string   `json:"url"`
	Source   string   `json:"source"`
	License  string   `json:"license"`
}

// ImportJSONL reads JSON Lines, one document per line:
// {"id", "title", "body", "kind", "tags", "url", "source", "license"} (plus
// optional "codes", "provider", "category"). id, title and body are
// required; kind defaults to "community". Bad lines are reported with their
// 1-based line number and a reason; the good lines are still returned. When
// an id repeats, the last line wins. Blank lines are ignored.
func ImportJSONL(r io.Reader) (docs []Doc, problems []LineError) {
	br := bufio.NewReaderSize(r, 64*1024)
	index := map[string]int{}
	for line := 1; ; line++ {
		raw, err := br.ReadBytes('\n')
		if len(raw) > 0 {
			if line == 1 {
				raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
			}
			d, reason := parseJSONLine(raw)
			switch {
			case reason == "-":
				// blank
			case reason != "":
				problems = append(problems, LineError{Line: line, Reason: reason})
			default:
				if i, ok := index[d.ID]; ok {
					docs[i] = d
				} else {
					index[d.ID] = len(docs)
					docs = append(docs, d)
				}
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				problems = append(problems, LineError{Line: line, Reason: "read error: " + err.Error()})
			}
			break
		}
	}
	return docs, problems
}

// FirstImportable reads JSON Lines from r until the first line that would
// be imported (ImportJSONL's rules) and returns its 1-based number, or 0
// when no line would be, with every line's problem then. It lets a caller
// refuse a file of nothing but bad lines before it creates anything; r is
// read only as far as the first good line (and no problem is returned
// then). Errors: the reader's.
func FirstImportable(r io.Reader) (int, []LineError, error) {
	line, _, problems, err := ReadToFirstImportable(bufio.NewReaderSize(r, 64*1024))
	if line > 0 {
		problems = nil
	}
	return line, problems, err
}

// ReadToFirstImportable is FirstImportable for a stream that can be read
// only once (stdin, a pipe): it leaves br just past the first line that
// would be imported and returns that line's bytes too (a UTF-8 byte order
// mark of line 1 removed) and the problems of the lines before it, so that
// the caller can import the line and the rest of br, numbering the lines
// from line on. line is 0 when no line would be imported; br is then at
// its end. Errors: the reader's.
func ReadToFirstImportable(br *bufio.Reader) (line int, raw []byte, problems []LineError, err error) {
	for line = 1; ; line++ {
		raw, err := br.ReadBytes('\n')
		if len(raw) > 0 {
			if line == 1 {
				raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
			}
			switch _, reason := parseJSONLine(raw); reason {
			case "-":
			case "":
				return line, raw, problems, nil
			default:
				problems = append(problems, LineError{Line: line, Reason: reason})
			}
		}
		if errors.Is(err, io.EOF) {
			return 0, nil, problems, nil
		}
		if err != nil {
			return 0, nil, problems, err
		}
	}
}

// MaxDocBytes is the largest JSON Lines document kb import takes (256 KiB):
// a troubleshooting article is a few KiB, and one huge document slows
// every later search and every start of the index.
const MaxDocBytes = 256 << 10

func parseJSONLine(raw []byte) (Doc, string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return Doc{}, "-"
	}
	if len(raw) > MaxDocBytes {
		return Doc{}, fmt.Sprintf("the line is %d bytes; a document may hold at most %d KiB (split a long article into several documents)", len(raw), MaxDocBytes>>10)
	}
	if !utf8.Valid(raw) {
		return Doc{}, "not valid UTF-8"
	}
	if raw[0] != '{' {
		return Doc{}, "not a JSON object"
	}
	var j jsonDoc
	// json.Unmarshal, not a Decoder per line: no buffer to allocate, and
	// it refuses data after the object by itself.
	if err := json.Unmarshal(raw, &j); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) && strings.Contains(se.Error(), "after top-level value") {
			return Doc{}, "invalid JSON: extra data after the object"
		}
		return Doc{}, "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")
	}
	req := func(name string, p *string) string {
		if p == nil {
			return "missing required field " + name
		}
		if strings.TrimSpace(*p) == "" {
			return "empty required field " + name
		}
		return ""
	}
	for _, f := range []struct {
		n string
		p *string
	}{{"id", j.ID}, {"title", j.Title}, {"body", j.Body}} {
		if r := req(f.n, f.p); r != "" {
			return Doc{}, r
		}
	}
	id := strings.TrimSpace(*j.ID)
	if len(id) > maxIDLen {
		return Doc{}, fmt.Sprintf("id longer than %d bytes", maxIDLen)
	}
	if reservedID(id) {
		return Doc{}, errReservedID
	}
	kind := strings.ToLower(strings.TrimSpace(j.Kind))
	if kind == "" {
		kind = KindCommunity
	}
	if !validKind(kind) {
		return Doc{}, fmt.Sprintf("unknown kind %q (want article, community, reference or incident)", j.Kind)
	}
	if kind == KindCommunity {
		// imported community answers meet the same rules as learned ones:
		// the answer CheckAnswer's, the question (their title)
		// CheckQuestion's
		if err := CheckAnswer(*j.Body); err != nil {
			return Doc{}, err.Error()
		}
		if err := CheckQuestion(*j.Title); err != nil {
			return Doc{}, err.Error()
		}
	}
	d := Doc{
		ID: id, Title: strings.TrimSpace(*j.Title), Body: strings.TrimSpace(*j.Body), Kind: kind,
		Tags: cleanList(j.Tags), Codes: cleanList(j.Codes), Provider: strings.TrimSpace(j.Provider),
		Category: j.Category, URL: j.URL, Source: j.Source, License: j.License,
	}
	RedactDoc(&d) // before it is stored, indexed or printed
	return d, ""
}

func validKind(k string) bool {
	switch k {
	case KindArticle, KindCommunity, KindReference, KindIncident:
		return true
	}
	return false
}

func cleanList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// frontMatter is the YAML header of an article.
type frontMatter struct {
	ID       string   `yaml:"id"`
	Title    string   `yaml:"title"`
	Tags     []string `yaml:"tags"`
	Codes    []string `yaml:"codes"`
	Provider string   `yaml:"provider"`
	Category string   `yaml:"category"`
	URL      string   `yaml:"url"`
	Kind     string   `yaml:"kind"`
	Source   string   `yaml:"source"`
	License  string   `yaml:"license"`
}

// ParseArticle parses a Markdown article with YAML front matter (title, tags,
// codes, provider, category, url and an optional id, which defaults to the
// file name without ".md"). The body is the Markdown after the front matter.
func ParseArticle(name string, data []byte) (Doc, error) {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.TrimPrefix(text, "\ufeff")
	if !strings.HasPrefix(text, "---\n") {
		return Doc{}, fmt.Errorf("%s: missing front matter (the file must start with a --- line)", name)
	}
	rest := text[4:]
	end := strings.Index(rest, "\n---\n")
	var fm, body string
	switch {
	case end >= 0:
		fm, body = rest[:end], rest[end+5:]
	case strings.HasSuffix(rest, "\n---"):
		fm = strings.TrimSuffix(rest, "\n---")
	case strings.HasPrefix(rest, "---\n"):
		body = rest[4:]
	default:
		return Doc{}, fmt.Errorf("%s: front matter is not closed by a --- line", name)
	}
	var m frontMatter
	if err := yaml.Unmarshal([]byte(fm), &m); err != nil {
		return Doc{}, fmt.Errorf("%s: front matter: %v", name, err)
	}
	id := strings.TrimSpace(m.ID)
	if id == "" {
		id = strings.TrimSuffix(path.Base(filepath.ToSlash(name)), ".md")
	}
	if id == "" {
		return Doc{}, fmt.Errorf("%s: no id", name)
	}
	if reservedID(id) {
		return Doc{}, fmt.Errorf("%s: id %q: %s", name, id, errReservedID)
	}
	if strings.TrimSpace(m.Title) == "" {
		return Doc{}, fmt.Errorf("%s: front matter has no title", name)
	}
	body = strings.TrimSpace(body)
	if body == "" {
		return Doc{}, fmt.Errorf("%s: empty body", name)
	}
	kind := strings.ToLower(strings.TrimSpace(m.Kind))
	if kind == "" {
		kind = KindArticle
	}
	if !validKind(kind) {
		return Doc{}, fmt.Errorf("%s: unknown kind %q", name, m.Kind)
	}
	if kind == KindCommunity {
		// a community answer in Markdown meets the rules of a learned one
		if err := CheckAnswer(body); err != nil {
			return Doc{}, fmt.Errorf("%s: %w", name, err)
		}
		if err := CheckQuestion(m.Title); err != nil {
			return Doc{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	src := m.Source
	if src == "" {
		src = SourceInternalKB
	}
	d := Doc{
		ID: id, Title: strings.TrimSpace(m.Title), Body: body, Kind: kind,
		Tags: cleanList(m.Tags), Codes: cleanList(m.Codes), Provider: strings.TrimSpace(m.Provider),
		Category: m.Category, URL: m.URL, Source: src, License: m.License,
	}
	RedactDoc(&d) // before it is stored, indexed or printed
	return d, nil
}

// StarterArticles returns the starter knowledge base embedded in the binary.
func StarterArticles() ([]Doc, error) {
	entries, err := starterFS.ReadDir("starter")
	if err != nil {
		return nil, err
	}
	var docs []Doc
	seen := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		data, err := starterFS.ReadFile("starter/" + e.Name())
		if err != nil {
			return nil, err
		}
		d, err := ParseArticle(e.Name(), data)
		if err != nil {
			return nil, fmt.Errorf("starter article %w", err)
		}
		if prev, ok := seen[d.ID]; ok {
			return nil, fmt.Errorf("starter articles %s and %s share the id %q", prev, e.Name(), d.ID)
		}
		seen[d.ID] = e.Name()
		docs = append(docs, d)
	}
	return docs, nil
}

// ArticleProblem is one Markdown article that was skipped, with why.
type ArticleProblem struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

func (p ArticleProblem) String() string { return p.File + ": " + p.Reason }

// LoadArticlesDir parses every *.md file under dir (recursively). It fails
// only when dir itself cannot be read; a bad article is skipped (see
// CheckArticlesDir for the reasons).
func LoadArticlesDir(dir string) ([]Doc, error) {
	docs, _, err := CheckArticlesDir(dir)
	return docs, err
}

// CheckArticlesDir parses every *.md file under dir (recursively) and
// returns the good articles and one problem per file skipped: a file that
// does not parse (front matter, title, body), an id used by an earlier
// file, or a symbolic link (a link to a file outside the folder would
// serve that file in chat; links inside the folder are refused too, since
// the file is read where it is). The error is for a folder that cannot be
// read at all.
func CheckArticlesDir(dir string) ([]Doc, []ArticleProblem, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, nil, fmt.Errorf("articles folder: %w", err)
	}
	if !fi.IsDir() {
		return nil, nil, fmt.Errorf("articles folder %s is not a folder", dir)
	}
	var docs []Doc
	var problems []ArticleProblem
	seen := map[string]string{}
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, p)
		if err != nil {
			problems = append(problems, ArticleProblem{File: rel, Reason: err.Error()})
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&os.ModeSymlink != 0 {
			if strings.HasSuffix(d.Name(), ".md") || isDirLink(p) {
				reason := "symbolic link refused (copy the article into the articles folder instead)"
				if target, err := filepath.EvalSymlinks(p); err == nil && !within(root, target) {
					reason = "symbolic link to " + target + ", outside the articles folder: refused"
				}
				problems = append(problems, ArticleProblem{File: rel, Reason: reason})
			}
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".md") {
			return nil
		}
		if !d.Type().IsRegular() {
			problems = append(problems, ArticleProblem{File: rel, Reason: "not a regular file"})
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			problems = append(problems, ArticleProblem{File: rel, Reason: err.Error()})
			return nil
		}
		doc, err := ParseArticle(rel, data)
		if err != nil {
			problems = append(problems, ArticleProblem{File: rel, Reason: strings.TrimPrefix(err.Error(), rel+": ")})
			return nil
		}
		if prev, ok := seen[doc.ID]; ok {
			problems = append(problems, ArticleProblem{File: rel, Reason: fmt.Sprintf("id %q is already used by %s", doc.ID, prev)})
			return nil
		}
		seen[doc.ID] = rel
		docs = append(docs, doc)
		return nil
	})
	return docs, problems, err
}

func isDirLink(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// within reports whether path is root or under it.
func within(root, path string) bool {
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// allArticles merges the starter set with the configured directory; a
// directory article overrides a starter article with the same id.
func allArticles(dir string) ([]Doc, []ArticleProblem, error) {
	docs, err := StarterArticles()
	if err != nil {
		return nil, nil, err
	}
	if dir == "" {
		return docs, nil, nil
	}
	extra, problems, err := CheckArticlesDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("articles dir: %w", err)
	}
	byID := map[string]int{}
	for i, d := range docs {
		byID[d.ID] = i
	}
	for _, d := range extra {
		if i, ok := byID[d.ID]; ok {
			docs[i] = d
		} else {
			byID[d.ID] = len(docs)
			docs = append(docs, d)
		}
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].ID < docs[j].ID })
	return docs, problems, nil
}

package main

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/paybot/paybot/incidents"
)

// decoder fills Config from the YAML tree and reports every problem at the
// node where the parser found it, naming keys as the file spells them
// (smtp.port), never Go types. It replaces yaml's KnownFields decoding,
// whose messages say "field colour not found in type main.Config".
type decoder struct {
	probs []incidents.Problem
}

func at(n *yaml.Node, msg string) incidents.Problem {
	if n == nil {
		return incidents.Problem{Msg: msg}
	}
	return incidents.Problem{Line: n.Line, Col: n.Column, Msg: msg}
}

func (d *decoder) add(n *yaml.Node, format string, args ...any) {
	d.probs = append(d.probs, at(n, fmt.Sprintf(format, args...)))
}

var (
	nodeType    = reflect.TypeOf(yaml.Node{})
	nodePtrType = reflect.TypeOf(&yaml.Node{})
)

// yamlName is a struct field's key in the file, or "" for fields the
// file cannot set.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// value decodes n into v; path is the key's dotted name ("" at the top).
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch t := v.Type(); {
	case t == nodeType:
		v.Set(reflect.ValueOf(*n))
	case t == nodePtrType:
		v.Set(reflect.ValueOf(n))
	case t.Kind() == reflect.Struct:
		d.mapping(n, v, path)
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		if n.Kind != yaml.MappingNode {
			if !isNull(n) {
				d.add(n, "%s must be a mapping (key: value)", path)
			}
			return
		}
		m := reflect.MakeMap(t)
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if first, dup := seen[k.Value]; dup {
				d.add(k, "%s appears twice under %s (first at line %d); the second would silently win", k.Value, path, first)
				continue
			}
			seen[k.Value] = k.Line
			elem := reflect.New(t.Elem()).Elem()
			d.value(val, elem, joinPath(path, k.Value))
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(t.Key()), elem)
		}
		v.Set(m)
	case t.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.add(n, "%s must be a single value, not a %s", path, kindName(n))
			return
		}
		v.SetString(n.Value)
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if n.Kind != yaml.ScalarNode || err != nil {
			d.add(n, "%s must be a whole number, not %s", path, shown(n))
			return
		}
		v.SetInt(i)
	case t.Kind() == reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
			d.add(n, "%s must be true or false, not %s", path, shown(n))
			return
		}
		v.SetBool(b)
	default:
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.add(n, "%s: %s", path, stripGoTypes(err.Error()))
		}
	}
}

// mapping decodes a YAML mapping into the struct v.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		if !isNull(n) {
			what := "the config"
			if path != "" {
				what = path
			}
			d.add(n, "%s must be a mapping (key: value), not a %s", what, kindName(n))
		}
		return
	}
	t := v.Type()
	fields := map[string]int{}
	var known []string
	for i := 0; i < t.NumField(); i++ {
		if name := yamlName(t.Field(i)); name != "" {
			fields[name] = i
			known = append(known, name)
		}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		where := ""
		if path != "" {
			where = " under " + path
		}
		if first, dup := seen[k.Value]; dup {
			d.add(k, "%s appears twice%s (first at line %d); the second would silently win", k.Value, where, first)
			continue
		}
		seen[k.Value] = k.Line
		fi, ok := fields[k.Value]
		if !ok {
			d.add(k, "unknown key %q%s%s (known: %s)", k.Value, where, suggest(k.Value, known), strings.Join(known, ", "))
			continue
		}
		d.value(val, v.Field(fi), joinPath(path, k.Value))
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || n.Value == "")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "single value"
}

func shown(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return strconv.Quote(n.Value)
	}
	return "a " + kindName(n)
}

var reGoType = regexp.MustCompile(`\s*into [\w.*\[\]]+`)

// stripGoTypes removes "into main.Config"-style type names from a yaml
// error, for the rare shapes value does not handle itself.
func stripGoTypes(msg string) string {
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	return reGoType.ReplaceAllString(msg, "")
}

// suggest is ", did you mean X?" for a near miss among known, else "".
func suggest(word string, known []string) string {
	if n := incidents.Nearest(word, known); n != "" {
		return fmt.Sprintf(", did you mean %s?", n)
	}
	return ""
}

// topLevel maps each top-level key to its value node (the first one when
// a key is repeated; the decoder reports the repeat).
func topLevel(root *yaml.Node) map[string]*yaml.Node {
	vals := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if _, dup := vals[root.Content[i].Value]; !dup {
			vals[root.Content[i].Value] = root.Content[i+1]
		}
	}
	return vals
}

var reYAMLLine = regexp.MustCompile(`^yaml: line (\d+): `)

// syntaxProblem turns a YAML syntax error into a problem at its line.
func syntaxProblem(err error) incidents.Problem {
	msg := err.Error()
	p := incidents.Problem{}
	if m := reYAMLLine.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	p.Msg = "YAML syntax: " + strings.TrimPrefix(msg, "yaml: ")
	return p
}

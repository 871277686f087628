package divarpin

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Group is what changed in one kind of thing between two pins, each entry
// naming the thing (an operation as "POST /path (operationId)", a schema by
// its name), sorted.
type Group struct {
	Kind                    string // "operations", "schemas", …
	Added, Removed, Changed []string
}

// Empty reports whether nothing changed in g.
func (g Group) Empty() bool { return len(g.Added)+len(g.Removed)+len(g.Changed) == 0 }

// Diff tells what changed from the pinned document old (nil when there is
// none yet) to new: operations, schemas, request bodies, security schemes,
// and the document's servers and security.
func Diff(old, new []byte) ([]Group, error) {
	var a, b map[string]any
	if old != nil {
		if err := json.Unmarshal(old, &a); err != nil {
			return nil, fmt.Errorf("the current pin: %w", err)
		}
	}
	if err := json.Unmarshal(new, &b); err != nil {
		return nil, fmt.Errorf("the new pin: %w", err)
	}
	return []Group{
		compare("operations", operations(a), operations(b)),
		compare("schemas", component(a, "schemas"), component(b, "schemas")),
		compare("request bodies", component(a, "requestBodies"), component(b, "requestBodies")),
		compare("security schemes", component(a, "securitySchemes"), component(b, "securitySchemes")),
		compare("document", pick(a, "servers", "security"), pick(b, "servers", "security")),
	}, nil
}

// Print writes groups as a maintainer reads them: a count line per kind,
// then "+ added", "- removed", "~ changed"; "no change" when nothing did.
func Print(w io.Writer, groups []Group) {
	changed := false
	for _, g := range groups {
		if g.Empty() {
			continue
		}
		changed = true
		fmt.Fprintf(w, "%s: %d added, %d removed, %d changed\n", g.Kind, len(g.Added), len(g.Removed), len(g.Changed))
		for _, l := range []struct {
			mark  string
			names []string
		}{{"+", g.Added}, {"-", g.Removed}, {"~", g.Changed}} {
			for _, n := range l.names {
				fmt.Fprintf(w, "  %s %s\n", l.mark, n)
			}
		}
	}
	if !changed {
		fmt.Fprintln(w, "no change in Divar's description's facts")
	}
}

func compare(kind string, a, b map[string]any) Group {
	g := Group{Kind: kind}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		old, ok := a[k]
		switch {
		case !ok:
			g.Added = append(g.Added, k)
		case !reflect.DeepEqual(old, b[k]):
			if parts := differing(old, b[k], ""); len(parts) > 0 {
				k += ": " + strings.Join(parts, ", ")
			}
			g.Changed = append(g.Changed, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if _, ok := b[k]; !ok {
			g.Removed = append(g.Removed, k)
		}
	}
	return g
}

// differing names the keys of two objects whose values differ, a property
// (of "properties"), a response (of "responses") or a parameter (of
// "parameters", by place and name) by its own name, an enum with the count
// of values added and removed; nil when a or b is not an object.
func differing(a, b any, prefix string) []string {
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if !ok1 || !ok2 {
		return nil
	}
	var out []string
	union := maps.Clone(am)
	maps.Copy(union, bm)
	for _, k := range slices.Sorted(maps.Keys(union)) {
		if reflect.DeepEqual(am[k], bm[k]) {
			continue
		}
		switch k {
		case "enum":
			out = append(out, prefix+k+enumChange(am[k], bm[k]))
			continue
		case "properties", "responses":
			if parts := differing(am[k], bm[k], prefix+k+"."); len(parts) > 0 {
				out = append(out, parts...)
				continue
			}
		case "parameters":
			if parts := differing(byName(am[k]), byName(bm[k]), prefix+k+"."); len(parts) > 0 {
				out = append(out, parts...)
				continue
			}
		}
		out = append(out, prefix+k)
	}
	return out
}

// enumChange counts the values added to and removed from an enum: " (+3 -1)".
func enumChange(a, b any) string {
	al, _ := a.([]any)
	bl, _ := b.([]any)
	count := func(from, in []any) (n int) {
		for _, v := range from {
			// An enum's values may be objects: compared deeply.
			if !slices.ContainsFunc(in, func(w any) bool { return reflect.DeepEqual(v, w) }) {
				n++
			}
		}
		return n
	}
	return fmt.Sprintf(" (+%d -%d)", count(bl, al), count(al, bl))
}

// byName maps a list of parameters by their names.
func byName(list any) any {
	l, ok := list.([]any)
	if !ok {
		return list
	}
	out := map[string]any{}
	for _, p := range l {
		m, _ := p.(map[string]any)
		name, _ := m["name"].(string)
		in, _ := m["in"].(string)
		out[in+" "+name] = p
	}
	return out
}

// operations maps "METHOD /path (operationId)" to each operation of doc.
func operations(doc map[string]any) map[string]any {
	out := map[string]any{}
	paths, _ := doc["paths"].(map[string]any)
	for p, item := range paths {
		ops, _ := item.(map[string]any)
		for m, op := range ops {
			if !methods[m] {
				continue
			}
			id, _ := op.(map[string]any)["operationId"].(string)
			out[fmt.Sprintf("%s %s (%s)", strings.ToUpper(m), p, id)] = op
		}
	}
	return out
}

func component(doc map[string]any, kind string) map[string]any {
	c, _ := doc["components"].(map[string]any)
	m, _ := c[kind].(map[string]any)
	return m
}

func pick(doc map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		if v, ok := doc[k]; ok {
			out[k] = v
		}
	}
	return out
}

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

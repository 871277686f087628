package validate

import (
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// A client's side of the compiled engine: sdk/divar checks each request it
// sends against Divar's description with kenarkit's overlay, whose bodies
// use two keywords the server's fast path leaves to kin-openapi: a string
// enum (Divar's icon names, event types) and, at the top of a message, a
// "not" whose branches only require members (a text or a media token, one
// of them). CompileBody compiles both onto the fast path, unchanged: an
// enum becomes the anchored pattern of its values, and the presence rule is
// judged from the body's top-level member names. Anything else the fast
// path does not implement makes CompileBody fail, and the caller checks
// that operation with kin-openapi.

// The details of the failures of the two rules CompileBody adds, for a
// caller that words them its own way: a value not in its enum, and a
// combination of members the presence rule refuses (at the body, whose
// pointer is "").
var (
	EnumDetail     = describe(&openapi3.SchemaError{SchemaField: "enum"})
	PresenceDetail = "sets a combination of members the schema refuses"
)

// patternDetail is the detail of a pattern's failure, which an enum's
// pattern words as EnumDetail.
var patternDetail = describe(&openapi3.SchemaError{SchemaField: "pattern"})

// BodyCheck is a request body schema compiled once, checked without
// allocating when the body is valid. It is safe for concurrent use.
type BodyCheck struct {
	root *node
	// presence: the root's rule on which members are present (nil: none).
	presence *presence
	// enums: some pattern of the tree is an enum's (the tree has no
	// pattern of its own), so a pattern failure is worded as an enum's.
	enums bool
}

// CompileBody compiles a request body schema, or fails when some keyword
// of it needs kin-openapi.
func CompileBody(s *openapi3.Schema) (*BodyCheck, error) { return new(BodyCompiler).Compile(s) }

// BodyCompiler compiles request body schemas as CompileBody does, each
// regular expression (a pattern, or an enum made one) once for all of them:
// use one for the operations of one description. The zero value is ready;
// it is not safe for concurrent use.
type BodyCompiler struct {
	pats patterns
}

// Compile compiles a request body schema, or fails when some keyword of it
// needs kin-openapi.
func (b *BodyCompiler) Compile(s *openapi3.Schema) (*BodyCheck, error) {
	if b.pats == nil {
		b.pats = patterns{}
	}
	c := &BodyCheck{}
	if s.Not != nil || len(s.AnyOf) > 0 || len(s.AllOf) > 0 || len(s.OneOf) > 0 {
		var err error
		if c.presence, err = compilePresence(&openapi3.Schema{Not: s.Not, AnyOf: s.AnyOf, AllOf: s.AllOf, OneOf: s.OneOf}); err != nil {
			return nil, err
		}
		root := *s
		root.Not, root.AnyOf, root.AllOf, root.OneOf = nil, nil, nil, nil
		s = &root
	}
	var patterns bool
	tree, err := enumsAsPatterns(s, map[*openapi3.Schema]*openapi3.Schema{}, &c.enums, &patterns)
	if err != nil {
		return nil, err
	}
	if c.enums && patterns {
		return nil, errUnsupported // a pattern failure could be either's
	}
	if c.root, err = compile(tree, map[*openapi3.Schema]*node{}, b.pats); err != nil {
		return nil, err
	}
	return c, nil
}

// Check checks body (one JSON object) as the server's fast path does,
// syntax included, with the rules CompileBody added: schema failures are
// the field errors, anything else (not JSON, too deep) the error.
//
// It reads body as the server's validator does (walker.validate): with the
// scanner, the decoder only where the scanner stops, whose verdict and
// words are then the answer.
func (c *BodyCheck) Check(body []byte) ([]FieldError, error) {
	w := walkers.Get().(*walker)
	defer w.release()
	w.keep = c.presence != nil
	errs, _, err := w.validate(body, c.root, DefaultMaxDepth, nil)
	return c.judge(w, errs, err)
}

// judge is the verdict of Check once w has walked the body: the walk's,
// with the wording of an enum and the presence rule, judged from the
// top-level names w kept.
func (c *BodyCheck) judge(w *walker, errs []FieldError, err error) ([]FieldError, error) {
	if err != nil {
		return nil, err
	}
	if c.enums {
		for i := range errs {
			if errs[i].Detail == patternDetail {
				errs[i].Detail = EnumDetail
			}
		}
	}
	// The presence rule is judged from the names the walk kept.
	if c.presence != nil && !c.presence.holds(presentNames(w.names)) {
		errs = append(errs, FieldError{Detail: PresenceDetail})
	}
	return errs, nil
}

// enumsAsPatterns returns a copy of s whose string enums are patterns
// matching exactly their values, or fails on an enum the fast path could
// not judge as kin-openapi does. It records whether it turned an enum into
// a pattern, and whether s had a pattern of its own.
func enumsAsPatterns(s *openapi3.Schema, seen map[*openapi3.Schema]*openapi3.Schema, enums, patterns *bool) (*openapi3.Schema, error) {
	if c, ok := seen[s]; ok {
		return c, nil
	}
	c := *s
	seen[s] = &c
	if s.Pattern != "" {
		*patterns = true
	}
	if len(s.Enum) > 0 {
		if s.Type == nil || !s.Type.Is(openapi3.TypeString) || s.Nullable || s.Pattern != "" {
			return nil, errUnsupported
		}
		alts := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			str, ok := v.(string)
			if !ok || strings.Contains(str, `\`) {
				return nil, errUnsupported
			}
			alts[i] = regexp.QuoteMeta(str)
		}
		c.Enum, c.Pattern, *enums = nil, `\A(?:`+strings.Join(alts, "|")+`)\z`, true
	}
	sub := func(ref *openapi3.SchemaRef) (*openapi3.SchemaRef, error) {
		if ref == nil || ref.Value == nil {
			return ref, nil // compile refuses an unresolved reference
		}
		v, err := enumsAsPatterns(ref.Value, seen, enums, patterns)
		return &openapi3.SchemaRef{Value: v}, err
	}
	var err error
	if len(s.Properties) > 0 {
		c.Properties = make(openapi3.Schemas, len(s.Properties))
		for name, ref := range s.Properties {
			if c.Properties[name], err = sub(ref); err != nil {
				return nil, err
			}
		}
	}
	if c.Items, err = sub(s.Items); err != nil {
		return nil, err
	}
	if c.AdditionalProperties.Schema, err = sub(s.AdditionalProperties.Schema); err != nil {
		return nil, err
	}
	return &c, nil
}

// presence is a rule on which members of an object are present: a schema
// of required, not, anyOf, allOf and oneOf alone.
type presence struct {
	required            []string
	not                 *presence
	anyOf, allOf, oneOf []*presence
}

func compilePresence(s *openapi3.Schema) (*presence, error) {
	rest := *s
	rest.Required, rest.Not, rest.AnyOf, rest.AllOf, rest.OneOf = nil, nil, nil, nil, nil
	if !rest.IsEmpty() || rest.Discriminator != nil || rest.Default != nil || len(rest.Properties) > 0 {
		return nil, errUnsupported
	}
	p := &presence{required: s.Required}
	var err error
	if s.Not != nil {
		if s.Not.Value == nil {
			return nil, errUnsupported
		}
		if p.not, err = compilePresence(s.Not.Value); err != nil {
			return nil, err
		}
	}
	for _, x := range []struct {
		refs openapi3.SchemaRefs
		to   *[]*presence
	}{{s.AnyOf, &p.anyOf}, {s.AllOf, &p.allOf}, {s.OneOf, &p.oneOf}} {
		for _, ref := range x.refs {
			if ref.Value == nil {
				return nil, errUnsupported
			}
			b, err := compilePresence(ref.Value)
			if err != nil {
				return nil, err
			}
			*x.to = append(*x.to, b)
		}
	}
	return p, nil
}

// holds reports whether an object with these member names satisfies p.
func (p *presence) holds(names presentNames) bool {
	for _, r := range p.required {
		if !names.has(r) {
			return false
		}
	}
	if p.not != nil && p.not.holds(names) {
		return false
	}
	if len(p.anyOf) > 0 && !slices.ContainsFunc(p.anyOf, func(b *presence) bool { return b.holds(names) }) {
		return false
	}
	for _, b := range p.allOf {
		if !b.holds(names) {
			return false
		}
	}
	if len(p.oneOf) > 0 {
		n := 0
		for _, b := range p.oneOf {
			if b.holds(names) {
				n++
			}
		}
		if n != 1 {
			return false
		}
	}
	return true
}

// presentNames are the names of an object's members, unquoted; they alias
// the body.
type presentNames [][]byte

func (m presentNames) has(name string) bool {
	return slices.ContainsFunc(m, func(b []byte) bool { return string(b) == name })
}

package validate

import (
	"bytes"
	"errors"
	"hash/maphash"
	"io"
	"maps"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/kenarkit/kenarkit/internal/jsonscan"
)

// The fast path: a validator compiled from the spec when the server is
// built, which checks a request body's syntax and schema in one pass over
// its tokens, with no intermediate value, and reports what kin-openapi
// reports (the same fields, by the same JSON pointers, in kenarkit's
// words). An operation whose schemas use a keyword the compiler does not
// implement is validated by kin-openapi, so correctness never depends on
// the fast path. The two are held to the same verdicts on kenarkit's spec
// (the differential test, FuzzFastPathMatchesKin), on generated OpenAPI 3.0
// schemas such as an add-on's (FuzzFastPathMatchesKinSchemas), and on the
// official JSON-Schema-Test-Suite (TestJSONSchemaTestSuite).

// Type bits of a compiled schema; 0 permits every type.
const (
	tString uint8 = 1 << iota
	tNumber
	tInteger
	tBoolean
	tObject
	tArray
)

type node struct {
	// typ and format are the schema's, for the texts of errors (described):
	// a node keeps no pointer into the spec's document.
	typ      openapi3.Types
	format   string
	types    uint8
	nullable bool
	empty    bool // the schema {}: anything but null (unless nullable)

	minLen  uint64
	maxLen  *uint64
	pattern *regexp.Regexp

	min, max *float64
	intMin   float64 // integer format range, when intRange
	intMax   float64
	intRange bool

	// members are the declared properties, sorted by name; a member's
	// index among them is its bit, by which object finds it repeated.
	members []member
	// index finds a member by name past fewProps of them; up to that, a
	// linear search that compares lengths first is cheaper than hashing.
	index    map[string]int
	required []string // distinct (the spec's validation refuses repeats)
	// undeclared are the required names that members does not declare, with
	// their indexes in required: members looked up by name when met.
	undeclared []requiredName
	forbidden  bool  // additionalProperties: false
	additions  *node // additionalProperties: a schema
	minProps   uint64
	maxProps   *uint64

	items    *node
	minItems uint64
	maxItems *uint64
}

// described returns what describe reads of the node's schema, for the
// text of a failure.
func (n *node) described() *openapi3.Schema {
	s := &openapi3.Schema{
		Nullable: n.nullable, Format: n.format,
		MinLength: n.minLen, MaxLength: n.maxLen,
		MinProps: n.minProps, MaxProps: n.maxProps,
		MinItems: n.minItems, MaxItems: n.maxItems,
	}
	if n.typ != nil {
		s.Type = &n.typ
	}
	return s
}

// member is a declared property: its name, its schema, and its index in
// required (-1: optional).
type member struct {
	name     string
	node     *node
	required int
}

const fewProps = 12

// prop returns the index in n.members of the declared property name, -1
// when none.
func (n *node) prop(name []byte) int {
	if n.index == nil {
		for i := range n.members {
			if n.members[i].name == string(name) {
				return i
			}
		}
		return -1
	}
	if i, ok := n.index[string(name)]; ok {
		return i
	}
	return -1
}

type requiredName struct {
	name  string
	index int
}

// fastOp is an operation the fast path validates.
type fastOp struct {
	body    *node
	headers []fastHeader
}

type fastHeader struct {
	name     string // as the spec spells it, for errors
	key      string // canonical, for looking it up without allocating
	required bool
	node     *node
}

// patterns compiles each regular expression once for all the schemas it
// is given: an enum repeated in many operations (Divar's icon names, some
// hundreds of values, as a pattern) is one compiled expression, not one
// per operation.
type patterns map[string]*regexp.Regexp

func (p patterns) compile(expr string) (*regexp.Regexp, error) {
	if re, ok := p[expr]; ok {
		return re, nil
	}
	re, err := regexp.Compile(expr)
	if err == nil {
		p[expr] = re
	}
	return re, err
}

// errUnsupported stops the compiler: the operation falls back to kin.
var errUnsupported = errors.New("unsupported by the fast path")

// compileOperation returns the fast path of op, or nil when some schema or
// parameter of op needs kin-openapi.
func compileOperation(op *openapi3.Operation, item *openapi3.PathItem, pats patterns) *fastOp {
	f := &fastOp{}
	params := append(openapi3.Parameters{}, item.Parameters...)
	params = append(params, op.Parameters...)
	for _, ref := range params {
		p := ref.Value
		if p == nil || p.In != openapi3.ParameterInHeader || p.Content != nil || p.Schema == nil || p.Schema.Value == nil ||
			(p.Style != "" && p.Style != openapi3.SerializationSimple) {
			return nil
		}
		n, err := compile(p.Schema.Value, map[*openapi3.Schema]*node{}, pats)
		if err != nil || n.types != tString {
			return nil
		}
		f.headers = append(f.headers, fastHeader{name: p.Name, key: http.CanonicalHeaderKey(p.Name), required: p.Required, node: n})
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		mt := op.RequestBody.Value.Content.Get("application/json")
		if mt == nil || len(op.RequestBody.Value.Content) != 1 || mt.Schema == nil || mt.Schema.Value == nil {
			return nil
		}
		n, err := compile(mt.Schema.Value, map[*openapi3.Schema]*node{}, pats)
		if err != nil {
			return nil
		}
		f.body = n
	}
	return f
}

// compile turns s into a node, or fails with errUnsupported for anything
// it does not implement exactly as kin-openapi does.
func compile(s *openapi3.Schema, seen map[*openapi3.Schema]*node, pats patterns) (*node, error) {
	if n, ok := seen[s]; ok {
		return n, nil
	}
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 || len(s.AllOf) > 0 || s.Not != nil || s.Discriminator != nil ||
		s.UniqueItems || s.MultipleOf != nil || s.ExclusiveMin.IsSet() || s.ExclusiveMax.IsSet() ||
		len(s.Enum) > 0 || s.Default != nil || s.ReadOnly || s.WriteOnly || s.Always != nil || s.Const != nil {
		return nil, errUnsupported
	}
	n := &node{nullable: s.Nullable, empty: s.IsEmpty(), format: s.Format}
	seen[s] = n
	if s.Type != nil {
		n.typ = slices.Clone(*s.Type)
		for _, t := range *s.Type {
			switch t {
			case openapi3.TypeString:
				n.types |= tString
			case openapi3.TypeNumber:
				n.types |= tNumber
			case openapi3.TypeInteger:
				n.types |= tInteger
			case openapi3.TypeBoolean:
				n.types |= tBoolean
			case openapi3.TypeObject:
				n.types |= tObject
			case openapi3.TypeArray:
				n.types |= tArray
			default:
				return nil, errUnsupported // "null" and friends: 3.1
			}
		}
	}
	n.minLen, n.maxLen = s.MinLength, s.MaxLength
	if s.Pattern != "" {
		re, err := pats.compile(kinPattern(s.Pattern))
		if err != nil {
			return nil, errUnsupported
		}
		n.pattern = re
	}
	n.min, n.max = s.Min, s.Max
	if s.Format != "" {
		integerOnly := n.types&tInteger != 0 && n.types&tNumber == 0
		switch {
		case integerOnly && s.Format == "int32":
			n.intRange, n.intMin, n.intMax = true, math.MinInt32, math.MaxInt32
		case integerOnly && s.Format == "int64":
			n.intRange, n.intMin, n.intMax = true, math.MinInt64, math.MaxInt64
		case knownFormat(s.Format):
			return nil, errUnsupported // a format kin-openapi checks and the fast path does not
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
		ref := s.Properties[name]
		if ref.Value == nil {
			return nil, errUnsupported
		}
		c, err := compile(ref.Value, seen, pats)
		if err != nil {
			return nil, err
		}
		n.members = append(n.members, member{name: name, node: c, required: slices.Index(s.Required, name)})
	}
	if len(n.members) > fewProps {
		n.index = make(map[string]int, len(n.members))
		for i, m := range n.members {
			n.index[m.name] = i
		}
	}
	n.required = s.Required
	for i, name := range s.Required {
		if slices.Index(s.Required, name) != i {
			return nil, errUnsupported // a repeat: not reached, the spec is validated
		}
		if n.prop([]byte(name)) < 0 {
			n.undeclared = append(n.undeclared, requiredName{name, i})
		}
	}
	if has := s.AdditionalProperties.Has; has != nil && !*has {
		n.forbidden = true
	} else if ref := s.AdditionalProperties.Schema; ref != nil {
		if ref.Value == nil {
			return nil, errUnsupported
		}
		c, err := compile(ref.Value, seen, pats)
		if err != nil {
			return nil, err
		}
		n.additions = c
	}
	n.minProps, n.maxProps = s.MinProps, s.MaxProps
	if s.Items != nil {
		if s.Items.Value == nil {
			return nil, errUnsupported
		}
		c, err := compile(s.Items.Value, seen, pats)
		if err != nil {
			return nil, err
		}
		n.items = c
	}
	n.minItems, n.maxItems = s.MinItems, s.MaxItems
	return n, nil
}

// kinPattern is the Go expression kin-openapi compiles for a schema's
// pattern: it rewrites \uXXXX (upper-case hex) as \x{XXXX}, even after a
// backslash, so the fast path does too.
func kinPattern(p string) string {
	if !strings.Contains(p, `\u`) {
		return p
	}
	return kinCodepoints.ReplaceAllString(p, `\x{${code}}`)
}

var kinCodepoints = regexp.MustCompile(`(\\u)(?P<code>[0-9A-F]{4})`)

func knownFormat(f string) bool {
	_, s := openapi3.SchemaStringFormats[f]
	_, n := openapi3.SchemaNumberFormats[f]
	_, i := openapi3.SchemaIntegerFormats[f]
	return s || n || i
}

func (n *node) permits(t uint8) bool { return n.types == 0 || n.types&t != 0 }

// walker validates one body. Walkers are recycled through walkers, with
// their readers' buffers and their stacks.
type walker struct {
	// The walker reads the body with the scanner, then, if it stops,
	// with the decoder (inPlace; dec is set), whose verdict is the answer.
	scan     scanner
	inPlace  // the body, for the decoder
	dec      bool
	maxDepth int
	// index, when set, receives the top-level members (the scanner's pass
	// only: it knows where each value starts).
	index *jsonscan.Index
	// path is where the walker is: member names and array indexes. The names
	// alias the body, which the readers read in place and nothing modifies.
	path [][]byte
	// digits holds the array indexes of path, written in place as a
	// stack: a pooled walker reuses it, so an item costs no allocation.
	digits []byte
	names  [][]byte // the member names of the objects being read, outermost first
	// keep: the top level's declared names are kept in names too (a
	// BodyCheck's presence rule reads them); its undeclared names always
	// are, to find their repeats.
	keep bool
	errs []FieldError
}

func (w *walker) fail(n *node, field string) {
	segs := make([]string, len(w.path))
	for i, p := range w.path {
		segs[i] = string(p)
	}
	w.errs = append(w.errs, FieldError{Pointer: pointer(segs), Detail: describe(&openapi3.SchemaError{Schema: n.described(), SchemaField: field})})
}

// validateBody checks body in one pass: syntax (one JSON object, no
// duplicate names, valid UTF-8, depth, nothing after it) and the schema. A
// syntax error is returned alone, as checkJSON would; schema errors are
// returned as field errors. When index is not nil, it receives the body's
// top-level members, and indexed reports whether it holds them all.
//
// The pass reads the body with the scanner; should the scanner stop (the
// body is not valid JSON, or has what the scanner leaves to the decoder),
// the pass starts again with the decoder, without the index.
func validateBody(body []byte, n *node, maxDepth int, index *jsonscan.Index) (errs []FieldError, indexed bool, err error) {
	w := walkers.Get().(*walker)
	defer w.release()
	return w.validate(body, n, maxDepth, index)
}

// validate is validateBody on w, which keeps the body's top-level member
// names in w.names until it is released (the declared ones when w.keep).
func (w *walker) validate(body []byte, n *node, maxDepth int, index *jsonscan.Index) (errs []FieldError, indexed bool, err error) {
	w.maxDepth = maxDepth
	w.scan.reset(body, maxDepth)
	w.dec, w.index = false, index
	if errs, err = w.walk(n); err != errRescan {
		return errs, err == nil && index != nil, err
	}
	if index != nil {
		index.Reset()
	}
	w.reset()
	// The walker finds duplicate names itself, without the decoder's
	// per-object allocations.
	w.load(body)
	w.dec, w.index = true, nil
	errs, err = w.walk(n)
	return errs, false, err
}

// walk reads the body (with the decoder when w.dec) and validates it
// against n.
func (w *walker) walk(n *node) ([]FieldError, error) {
	k := w.peek()
	if k != '{' {
		if !w.dec {
			return nil, errRescan
		}
		if k == 0 {
			return nil, badRequest("", "the request body is not valid JSON")
		}
		return nil, badRequest("", "the request body must be a JSON object")
	}
	if err := w.value(n, k); err != nil {
		return nil, err
	}
	if !w.end() {
		return nil, badRequest("", "the request body has data after the JSON object")
	}
	return w.errs, nil
}

var walkers = sync.Pool{New: func() any { return new(walker) }}

// reset empties the walker's stacks, forgetting the body (they alias it).
func (w *walker) reset() {
	clear(w.path[:cap(w.path)])
	clear(w.names[:cap(w.names)])
	w.path, w.names, w.digits, w.errs = w.path[:0], w.names[:0], w.digits[:0], nil
}

// release forgets the body and recycles w.
func (w *walker) release() {
	w.reset()
	w.forget()
	w.scan.reset(nil, 0)
	w.dec, w.index, w.keep = false, nil, false
	walkers.Put(w)
}

// The walker's reading of the body: each step of the scanner's, called
// directly, or (w.dec) the decoder's tokens. The scanner fails with
// errRescan; the decoder's errors are the problem to answer.

// peek returns the kind of the next value (0: none, or not readable).
func (w *walker) peek() jsontext.Kind {
	if w.dec {
		return w.d.PeekKind()
	}
	return w.scan.kind()
}

// member reads the next member's name in the open object and returns it
// with the kind of its value; or, at the object's end, reads the '}' and
// returns '}'.
func (w *walker) member(first bool) (jsontext.Value, jsontext.Kind, error) {
	if w.dec {
		if w.d.PeekKind() == '}' {
			return nil, '}', w.close()
		}
		raw, err := w.d.ReadValue()
		if err != nil {
			return nil, 0, syntaxProblem(err)
		}
		return raw, w.d.PeekKind(), nil
	}
	raw, k := w.scan.member(first)
	if k == 0 {
		return nil, 0, errRescan
	}
	return raw, k, nil
}

// item returns the kind of the next item in the open array; or, at the
// array's end, reads the ']' and returns ']'.
func (w *walker) item(first bool) (jsontext.Kind, error) {
	if w.dec {
		if k := w.d.PeekKind(); k != ']' {
			return k, nil
		}
		return ']', w.close()
	}
	if k := w.scan.next(']', first); k != 0 {
		return k, nil
	}
	return 0, errRescan
}

// scalar reads the scalar of kind k, returned by peek or next.
func (w *walker) scalar(k jsontext.Kind) (jsontext.Value, error) {
	if w.dec {
		raw, err := w.d.ReadValue()
		if err != nil {
			return nil, syntaxProblem(err)
		}
		return raw, nil
	}
	if raw, ok := w.scan.scalar(k); ok {
		return raw, nil
	}
	return nil, errRescan
}

// open reads the '{' or '[' peek or next returned.
func (w *walker) open() error {
	if !w.dec {
		if w.scan.open() {
			return nil
		}
		return errRescan
	}
	if _, err := w.d.ReadToken(); err != nil {
		return syntaxProblem(err)
	}
	if w.d.StackDepth() > w.maxDepth {
		return badRequest(truncatePointer(string(w.d.StackPointer())),
			"arrays and objects nest more than "+strconv.Itoa(w.maxDepth)+" levels deep")
	}
	return nil
}

// close reads, with the decoder, the '}' or ']' it peeked.
func (w *walker) close() error {
	if _, err := w.d.ReadToken(); err != nil {
		return syntaxProblem(err)
	}
	return nil
}

// unquote returns the content of the string raw, just read.
func (w *walker) unquote(raw jsontext.Value) []byte {
	if !w.dec && !w.scan.escaped {
		return raw[1 : len(raw)-1]
	}
	return jsonscan.Unquote(raw)
}

// end reports whether nothing but white space follows the top-level value.
func (w *walker) end() bool {
	if w.dec {
		_, err := w.d.ReadToken()
		return err == io.EOF
	}
	return w.scan.end()
}

// value validates the next value, of kind kind (from peek or next),
// against n (nil: anything). Scalars are read as raw bytes, which does not
// allocate; objects and arrays member by member.
func (w *walker) value(n *node, kind jsontext.Kind) error {
	switch kind {
	case '{', '[':
		if err := w.open(); err != nil {
			return err
		}
		if n != nil && n.empty {
			n = nil
		}
		if kind == '{' {
			return w.object(n)
		}
		return w.array(n)
	}
	raw, err := w.scalar(kind)
	if err != nil {
		return err
	}
	if n == nil {
		return nil
	}
	if kind == 'n' {
		if !n.nullable {
			w.fail(n, "nullable")
		}
		return nil
	}
	if n.empty {
		return nil
	}
	switch kind {
	case 't', 'f':
		if !n.permits(tBoolean) {
			w.fail(n, "type")
		}
	case '"':
		w.str(n, raw)
	case '0':
		w.number(n, raw)
	}
	return nil
}

func (w *walker) str(n *node, raw jsontext.Value) {
	if !n.permits(tString) {
		w.fail(n, "type")
		return
	}
	w.text(n, w.unquote(raw))
}

// text checks the content of a string.
func (w *walker) text(n *node, s []byte) {
	failed, k := n.textFailures(s)
	for _, field := range failed[:k] {
		w.fail(n, field)
	}
}

// textFailures returns the keywords of n that the string s breaks.
func (n *node) textFailures(s []byte) (failed [3]string, k int) {
	// A string of b bytes has from b/4 to b characters: count them only
	// when that does not settle both limits.
	if b := uint64(len(s)); (n.maxLen != nil && b > *n.maxLen) || (n.minLen != 0 && b >= n.minLen && b/4 < n.minLen) {
		l := uint64(utf8.RuneCount(s))
		if n.minLen != 0 && l < n.minLen {
			failed[k], k = "minLength", k+1
		}
		if n.maxLen != nil && l > *n.maxLen {
			failed[k], k = "maxLength", k+1
		}
	} else if uint64(len(s)) < n.minLen {
		failed[k], k = "minLength", k+1
	}
	if n.pattern != nil && !n.pattern.Match(s) {
		failed[k], k = "pattern", k+1
	}
	return failed, k
}

func (w *walker) number(n *node, raw jsontext.Value) {
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		w.fail(n, "type") // out of float64's range, as kin-openapi says
		return
	}
	integer := n.types&tInteger != 0 && n.types&tNumber == 0
	switch {
	case integer:
		if v != math.Trunc(v) { // finite: ParseFloat refused what is not
			w.fail(n, "type")
		}
		// kin-openapi checks the range of the value truncated to an
		// integer (2147483647.5 is a valid int32, though not an integer).
		if t := math.Trunc(v); n.intRange && (t < n.intMin || t > n.intMax) {
			w.fail(n, "format")
		}
	case !n.permits(tInteger) && !n.permits(tNumber):
		w.fail(n, "type")
		return
	}
	if n.min != nil && v < *n.min {
		w.fail(n, "minimum")
	}
	if n.max != nil && v > *n.max {
		w.fail(n, "maximum")
	}
}

// object validates an object whose '{' was read; n nil: any members.
// Duplicate names are found here (the decoder's own check is off): a
// declared member by its bit, any other name by comparing it with the
// object's other undeclared names, linearly, or through a map past 32 of
// them.
func (w *walker) object(n *node) error {
	if n != nil && !n.permits(tObject) {
		w.fail(n, "type")
		n = nil
	}
	// The top level's names are kept (walker.validate), its declared ones
	// only when w.keep; an error ends the walk, which forgets them all.
	mark := len(w.names)
	var index map[uint64]struct{}
	var present requiredSet
	var declared uint64 // the bits of the declared members met
	if n != nil {
		present.init(len(n.required))
	}
	count := uint64(0)
	unknown := 0
	top := w.index != nil && len(w.path) == 0
	for first := true; ; first = false {
		raw, k, err := w.member(first)
		if err != nil {
			return err
		}
		if k == '}' {
			break
		}
		nameAt := w.scan.last
		name := w.unquote(raw)
		at := -1 // the member's index in n.members
		if n != nil {
			at = n.prop(name)
		}
		if w.duplicate(mark, &index, &declared, at, name) {
			return badRequest(truncatePointer(pointer(w.segments(name))), "this member name appears more than once")
		}
		count++
		var child *node
		if n != nil {
			switch {
			case at >= 0:
				m := &n.members[at]
				child = m.node
				if m.required >= 0 {
					present.add(m.required)
				}
			case n.forbidden:
				unknown++
			default:
				child = n.additions
			}
			if at < 0 {
				for _, r := range n.undeclared {
					if r.name == string(name) {
						present.add(r.index)
						break
					}
				}
			}
		}
		w.path = append(w.path, name)
		valueAt := w.scan.i // past the ':' (the scanner's pass)
		err = w.value(child, k)
		w.path = w.path[:len(w.path)-1]
		if err != nil {
			return err
		}
		if top {
			w.index.Add(jsonscan.Member{Name: jsonscan.Span{Start: nameAt, End: nameAt + len(raw)}, Value: jsonscan.Span{Start: valueAt, End: w.scan.i}})
		}
	}
	if len(w.path) > 0 {
		w.names = w.names[:mark]
	}
	if n == nil {
		return nil
	}
	if n.minProps != 0 && count < n.minProps {
		w.fail(n, "minProperties")
	}
	if n.maxProps != nil && count > *n.maxProps {
		w.fail(n, "maxProperties")
	}
	for range unknown {
		w.fail(n, "properties")
	}
	for i, r := range n.required {
		if !present.has(i) {
			w.path = append(w.path, []byte(r))
			w.fail(n, "required")
			w.path = w.path[:len(w.path)-1]
		}
	}
	return nil
}

// requiredSet records which of an object's required members are present,
// by index; past 64 of them, it allocates.
type requiredSet struct {
	bits uint64
	more []bool
}

func (s *requiredSet) init(n int) {
	if n > 64 {
		s.more = make([]bool, n)
	}
}

func (s *requiredSet) add(i int) {
	if s.more != nil {
		s.more[i] = true
	} else {
		s.bits |= 1 << i
	}
}

func (s *requiredSet) has(i int) bool {
	if s.more != nil {
		return s.more[i]
	}
	return s.bits&(1<<i) != 0
}

// duplicate reports whether name was seen in the current object, and
// records it. A member the object's schema declares (at, its index in
// n.members, below 64) is found by its bit in declared; any other name
// among the object's other undeclared names (from mark on in w.names),
// linearly, or past 32 of them through an index of their hashes, a hash
// seen before confirmed by comparing the names themselves. The top
// level's declared names are kept in w.names too when w.keep.
func (w *walker) duplicate(mark int, index *map[uint64]struct{}, declared *uint64, at int, name []byte) bool {
	const linear = 32
	if at >= 0 && at < 64 {
		bit := uint64(1) << at
		if *declared&bit != 0 {
			return true
		}
		*declared |= bit
		if w.keep && len(w.path) == 0 {
			w.names = append(w.names, name)
		}
		return false
	}
	if *index != nil {
		h := maphash.Bytes(hashSeed, name)
		if _, ok := (*index)[h]; ok && w.seen(mark, name) {
			return true
		}
		(*index)[h] = struct{}{}
	} else if w.seen(mark, name) {
		return true
	}
	w.names = append(w.names, name)
	if *index == nil && len(w.names)-mark > linear {
		*index = make(map[uint64]struct{}, 4*linear)
		for _, seen := range w.names[mark:] {
			(*index)[maphash.Bytes(hashSeed, seen)] = struct{}{}
		}
	}
	return false
}

var hashSeed = maphash.MakeSeed()

// seen reports whether name is one of the names from mark on.
func (w *walker) seen(mark int, name []byte) bool {
	for _, seen := range w.names[mark:] {
		if bytes.Equal(seen, name) {
			return true
		}
	}
	return false
}

// segments returns the path with name after it, as strings.
func (w *walker) segments(name []byte) []string {
	segs := make([]string, 0, len(w.path)+1)
	for _, p := range w.path {
		segs = append(segs, string(p))
	}
	return append(segs, string(name))
}

// array validates an array whose '[' was read; n nil: any items.
func (w *walker) array(n *node) error {
	if n != nil && !n.permits(tArray) {
		w.fail(n, "type")
		n = nil
	}
	var items *node
	if n != nil {
		items = n.items
	}
	count := uint64(0)
	mark := len(w.digits)
	for {
		k, err := w.item(count == 0)
		if err != nil {
			return err
		}
		if k == ']' {
			break
		}
		w.digits = strconv.AppendUint(w.digits[:mark], count, 10)
		w.path = append(w.path, w.digits[mark:])
		err = w.value(items, k)
		w.path = w.path[:len(w.path)-1]
		if err != nil {
			return err
		}
		count++
	}
	w.digits = w.digits[:mark]
	if n == nil {
		return nil
	}
	if n.minItems != 0 && count < n.minItems {
		w.fail(n, "minItems")
	}
	if n.maxItems != nil && count > *n.maxItems {
		w.fail(n, "maxItems")
	}
	return nil
}

// validateHeaders checks the operation's header parameters.
func (f *fastOp) validateHeaders(h http.Header) []FieldError {
	var errs []FieldError
	for _, p := range f.headers {
		values := h[p.key]
		if len(values) == 0 {
			if p.required {
				errs = append(errs, FieldError{Header: p.name, Detail: "is required"})
			}
			continue
		}
		failed, k := p.node.textFailures([]byte(values[0]))
		for _, field := range failed[:k] {
			detail := describe(&openapi3.SchemaError{Schema: p.node.described(), SchemaField: field})
			errs = append(errs, FieldError{Header: p.name, Detail: detail})
		}
	}
	return errs
}

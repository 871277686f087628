package validate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/kenarkit/kenarkit/internal/jsonscan"

	"github.com/go-json-experiment/json/jsontext"
)

// walkWith validates body against n reading it with the scanner (and
// nothing else: errRescan is returned as it is) or with the decoder.
func walkWith(body []byte, n *node, maxDepth int, scan bool, index *jsonscan.Index) ([]FieldError, error) {
	w := readingWith(body, maxDepth, scan, index)
	defer w.release()
	return w.walk(n)
}

// readingWith is a walker about to read body with the scanner alone or
// with the decoder alone.
func readingWith(body []byte, maxDepth int, scan bool, index *jsonscan.Index) *walker {
	w := new(walker)
	w.maxDepth = maxDepth
	if scan {
		w.scan.reset(body, maxDepth)
		w.index = index
	} else {
		w.load(body)
		w.dec = true
	}
	return w
}

// callbackNode is the compiled schema of the init callback's body.
func callbackNode(t testing.TB) *node {
	t.Helper()
	fast, _ := pair(t)
	return fast.ops["POST /divar/open-server-link"].fast.body
}

var scannerBodies = []struct {
	name, body string
	fast       bool // the scanner reads it to the end itself
}{
	{"seed", `{"return_url":"https://divar.ir/","source":"POST_ADDON","post_token":"wZC44q5D","extra_data":{"your_key_1":"your value"},"user_id":"6GqmD76dle5NpJySqnBX8seTpt6uVtzqaNTNJU1ettI="}`, true},
	{"white space everywhere", " \t\r\n{ \"a\" :\n[ 1 , -2.5e+3 , true , false , null , { } , [ ] ] , \"b\" : { \"c\" : \"d\" } }\n ", true},
	{"escapes", `{"a\"b":"\\\/\b\f\n\r\t\u00e9\u20AC","post_token":"\u0041"}`, true},
	{"persian and emoji", `{"user_side":"عرضه","x":"😀 ok"}`, true},
	{"U+FFFD itself", "{\"a\":\"\xef\xbf\xbd\"}", true},
	{"long strings", `{"a":"` + strings.Repeat("abcdefgh", 40) + `","b":"` + strings.Repeat("é", 33) + `"}`, true},
	{"schema errors", `{"post_token":"01234567890","source":7,"extra_data":"x"}`, true},
	{"numbers", `{"a":[0,-0,1,10,0.5,1e5,1E-5,-1.25e+10,123456789012345678901234567890]}`, true},
	{"empty object", `{}`, true},
	{"escaped surrogate pair", `{"a":"\ud83d\ude00"}`, false},
	{"lone surrogate", `{"a":"\ud83d"}`, false},
	{"invalid escape", `{"a":"\x"}`, false},
	{"short unicode escape", `{"a":"\u12"}`, false},
	{"control character", "{\"a\":\"x\ny\"}", false},
	{"invalid UTF-8", "{\"a\":\"\xff\"}", false},
	{"UTF-8 surrogate", "{\"a\":\"\xed\xa0\x80\"}", false},
	{"truncated UTF-8", "{\"a\":\"\xe2\x82\"}", false},
	{"overlong two bytes", "{\"a\":\"\xc1\xbf\"}", false},
	{"a two-byte lead before the quote", "{\"a\":\"\xd8\"}", false},
	{"a two-byte lead before ascii", "{\"a\":\"\xd8a\"}", false},
	{"persian words", `{"message":"آیا مایلید ادامه دهید؟","caption":"بله","c":"خیر"}`, true},
	{"persian then three bytes", "{\"a\":\"\u0628\u0644\u0647€ب\"}", true},
	{"persian run cut by a lead", "{\"a\":\"بله\xd8\"}", false},
	{"persian run cut by ascii", "{\"a\":\"بل\xd8a\"}", false},
	{"persian run before an escape", `{"a":"بله\n","b\u0062":"خیر\""}`, true},
	{"an escaped name then a plain one", `{"\u0061":1,"b":{"\"c":[],"d":2}}`, true},
	{"nested closes", `{"a":[[],[{}],{"b":[1,[2]]}],"c":{}}`, true},
	{"white space around separators", "{\"a\" : [ 1 ,2\t, { \"b\" :\n3 } ] ,\r\"c\":4 }", true},
	{"missing comma in array", `{"a":[1 2]}`, false},
	{"missing comma after a container", `{"a":[] "b":1}`, false},
	{"comma before the first member", `{,"a":1}`, false},
	{"comma before the first item", `{"a":[,1]}`, false},
	{"colon in array", `{"a":[1:2]}`, false},
	{"name without value", `{"a":}`, false},
	{"name without colon at the end", `{"a"`, false},
	{"a number as a name", `{1:2}`, false},
	{"an object as a name", `{{}:2}`, false},
	{"array closed by brace", `{"a":[1}}`, false},
	{"object closed by bracket", `{"a":{"b":1]}`, false},
	{"white space only after", "{\"a\":1}\n\t ", true},
	{"duplicate name", `{"a":1,"a":2}`, true},
	{"duplicate escaped name", `{"a":1,"\u0061":2}`, true},
	{"trailing comma in object", `{"a":1,}`, false},
	{"trailing comma in array", `{"a":[1,]}`, false},
	{"missing colon", `{"a" 1}`, false},
	{"missing comma", `{"a":1 "b":2}`, false},
	{"leading zero", `{"a":01}`, false},
	{"bare minus", `{"a":-}`, false},
	{"bare point", `{"a":1.}`, false},
	{"bare exponent", `{"a":1e}`, false},
	{"plus sign", `{"a":+1}`, false},
	{"bad literal", `{"a":tru}`, false},
	{"literal run on", `{"a":truex}`, false},
	{"unquoted name", `{a:1}`, false},
	{"single quotes", `{'a':1}`, false},
	{"unclosed", `{"a":1`, false},
	{"unclosed string", `{"a":"x`, false},
	{"closed twice", `{"a":1}}`, false},
	{"data after", `{} {}`, false},
	{"an array", `[1]`, false},
	{"a string", `"x"`, false},
	{"nothing", ``, false},
	{"byte order mark", "\xef\xbb\xbf{}", false},
	{"mismatched brackets", `{"a":[1}`, false},
	{"deep", strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70), false},
	{"at the depth limit", strings.Repeat(`{"a":`, 64) + `1` + strings.Repeat(`}`, 64), true},
}

// TestScannerAgreesWithTheDecoder: where the scanner reads a body to the
// end, its verdict is the decoder's, word for word (field errors, syntax
// errors, duplicate names); where it does not, it stops (errRescan) and
// the decoder decides. The bodies marked fast must not stop it: they are
// what the scanner exists for.
func TestScannerAgreesWithTheDecoder(t *testing.T) {
	n := callbackNode(t)
	for _, tc := range scannerBodies {
		t.Run(tc.name, func(t *testing.T) {
			checkScanner(t, []byte(tc.body), n, tc.fast)
			checkScanner(t, []byte(tc.body), nil, tc.fast)
		})
	}
}

// FuzzScannerAgreesWithTheDecoder: TestScannerAgreesWithTheDecoder on any
// input.
func FuzzScannerAgreesWithTheDecoder(f *testing.F) {
	for _, tc := range scannerBodies {
		f.Add([]byte(tc.body))
	}
	n := callbackNode(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		checkScanner(t, body, n, false)
		checkScanner(t, body, nil, false)
	})
}

func checkScanner(t *testing.T, body []byte, n *node, fast bool) {
	t.Helper()
	index := new(jsonscan.Index)
	gotErrs, gotErr := walkWith(body, n, DefaultMaxDepth, true, index)
	wantErrs, wantErr := walkWith(body, n, DefaultMaxDepth, false, nil)
	if gotErr == errRescan {
		if fast {
			t.Fatalf("the scanner stopped on %q", body)
		}
		return
	}
	if fmt.Sprint(gotErrs, gotErr) != fmt.Sprint(wantErrs, wantErr) {
		t.Fatalf("%q:\nscanner %v %v\ndecoder %v %v", body, gotErrs, gotErr, wantErrs, wantErr)
	}
	if gotErr == nil {
		if want := decoderIndex(t, body); !reflect.DeepEqual(index.Members(), want.Members()) {
			t.Fatalf("%q: index %v, the decoder's %v", body, index.Members(), want.Members())
		}
	}
}

// decoderIndex is the index of body's top-level members as jsontext
// finds them.
func decoderIndex(t *testing.T, body []byte) *jsonscan.Index {
	d := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true))
	if _, err := d.ReadToken(); err != nil {
		t.Fatal(err)
	}
	span := func() jsonscan.Span {
		v, err := d.ReadValue()
		if err != nil {
			t.Fatal(err)
		}
		end := int(d.InputOffset())
		return jsonscan.Span{Start: end - len(v), End: end}
	}
	x := new(jsonscan.Index)
	for d.PeekKind() != '}' {
		name := span()
		x.Add(jsonscan.Member{Name: name, Value: span()})
	}
	return x
}

// TestScannerIndexIsTheDecoders: the validator's index of a valid body
// lists each top-level member where the decoder finds it, and a body the
// scanner does not read whole is not indexed.
func TestScannerIndexIsTheDecoders(t *testing.T) {
	n := callbackNode(t)
	for _, tc := range []struct {
		name, body string
		indexed    bool
	}{
		{"seed", `{"post_token":"wZC44q5D","extra_data":{"a":[1,{"b":"c"}]},"n":-1.5,"t":true,"z":null}`, true},
		{"white space", " {\n \"a\" : { \"b\" : [ ] } ,\t\"c\":\"d\" \n} ", true},
		{"schema errors", `{"post_token":"01234567890"}`, true},
		{"escaped surrogate", `{"a":"\ud83d\ude00","b":1}`, false},
		{"invalid", `{"a":1,}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			index := new(jsonscan.Index)
			_, indexed, err := validateBody([]byte(tc.body), n, DefaultMaxDepth, index)
			if indexed != tc.indexed {
				t.Fatalf("indexed %v (%v), want %v", indexed, err, tc.indexed)
			}
			if !indexed {
				if len(index.Members()) != 0 {
					t.Fatalf("not indexed, yet %d members", len(index.Members()))
				}
				return
			}
			if want := decoderIndex(t, []byte(tc.body)); !reflect.DeepEqual(index.Members(), want.Members()) {
				t.Fatalf("index %v, the decoder's %v", index.Members(), want.Members())
			}
		})
	}
}

// TestRepeatedNames: a member name repeated in one object is refused,
// where it is, whether the schema declares it (found by its bit) or not
// (compared with the object's other names), at the top or nested, past 64
// declared members too; and only then, as jsontext judges it.
func TestRepeatedNames(t *testing.T) {
	props := func(names ...string) openapi3.Schemas {
		s := openapi3.Schemas{}
		for _, name := range names {
			s[name] = &openapi3.SchemaRef{Value: &openapi3.Schema{}}
		}
		return s
	}
	var many []string
	for i := range 70 {
		many = append(many, fmt.Sprintf("m%02d", i))
	}
	inner := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: props("a", "b")}
	top := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: props("a", "b", "c")}
	top.Properties["inner"] = &openapi3.SchemaRef{Value: inner}
	wide := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: props(many...)}
	for _, tc := range []struct {
		name   string
		schema *openapi3.Schema
		body   string
		at     string // the pointer of the repeat; "" when none
	}{
		{"declared at the top", top, `{"a":1,"b":2,"a":3}`, "/a"},
		{"declared, escaped the second time", top, `{"b":1,"\u0062":2}`, "/b"},
		{"undeclared at the top", top, `{"x":1,"a":2,"x":3}`, "/x"},
		{"declared and undeclared, none twice", top, `{"a":1,"x":2,"b":3,"y":4,"c":5}`, ""},
		{"declared in a nested object", top, `{"inner":{"a":1,"b":2,"a":3}}`, "/inner/a"},
		{"undeclared in a nested object", top, `{"inner":{"z":1,"a":2,"z":3}}`, "/inner/z"},
		{"the same name in two objects", top, `{"a":{"a":1},"inner":{"a":1,"b":{"a":2}},"b":[{"a":1},{"a":2}]}`, ""},
		{"in an object of no schema", top, `{"c":{"a":1,"a":2}}`, "/c/a"},
		{"the 66th declared member", wide, `{"m00":1,"m65":2,"m64":3,"m65":4}`, "/m65"},
		{"the 64th declared member", wide, `{"m63":1,"m00":2,"m63":3}`, "/m63"},
		{"every declared member once", wide, `{` + strings.Join(slicesMap(many, func(s string) string { return `"` + s + `":1` }), ",") + `}`, ""},
		{"past 32 undeclared names", top, `{` + strings.Join(slicesMap(many[:40], func(s string) string { return `"x` + s + `":1` }), ",") + `,"a":1,"xm07":2}`, "/xm07"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := compile(tc.schema, map[*openapi3.Schema]*node{}, patterns{})
			if err != nil {
				t.Fatal(err)
			}
			oracle := jsontext.NewDecoder(strings.NewReader(tc.body))
			var syntax error
			for syntax == nil {
				_, syntax = oracle.ReadToken()
			}
			if (syntax == io.EOF) != (tc.at == "") {
				t.Fatalf("jsontext says %v; the table says a repeat at %q", syntax, tc.at)
			}
			for _, scan := range []bool{true, false} {
				_, err := walkWith([]byte(tc.body), n, DefaultMaxDepth, scan, nil)
				var p *Problem
				switch {
				case tc.at == "" && err != nil:
					t.Errorf("scan %v: %v", scan, err)
				case tc.at == "":
				case !errors.As(err, &p) || len(p.Errors) != 1 || p.Errors[0].Pointer != tc.at || p.Errors[0].Detail != "this member name appears more than once":
					t.Errorf("scan %v: %v, want the name at %s repeated", scan, err, tc.at)
				}
			}
		})
	}
}

func slicesMap(s []string, f func(string) string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

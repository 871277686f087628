package validate

import (
	"errors"
	"io"
	"net/http"

	"github.com/go-json-experiment/json"
	"github.com/kenarkit/kenarkit/internal/refusal"
)

// Problem is why a request is refused: an HTTP status, a detail, and the
// failing fields. Its texts are kenarkit's own and never repeat a value.
// The server answers it as an sdk.Problem.
type Problem struct {
	Title  string
	Status int
	Detail string
	Errors []FieldError

	schema bool // the errors are fields breaking the schema, not a malformed body
}

// FieldError is one failing field of a request (refusal.FieldError).
type FieldError = refusal.FieldError

// NewProblem returns a Problem with the given status, its standard title and
// detail.
func NewProblem(status int, detail string) *Problem {
	return &Problem{Title: http.StatusText(status), Status: status, Detail: detail}
}

// IsSchema reports whether p lists fields that break the schema (or
// headers), as opposed to a body that is not JSON, too large or of the
// wrong media type.
func (p *Problem) IsSchema() bool { return p.schema }

// Error lists the failing fields but no values.
func (p *Problem) Error() string { return Format(p.Status, p.Title, p.Detail, p.Errors) }

// Format words a refusal as an error text (refusal.Format).
func Format(status int, title, detail string, errs []FieldError) string {
	return refusal.Format(status, title, detail, errs)
}

// toProblem returns err's Problem, or a 500 one.
func toProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	return NewProblem(http.StatusInternalServerError, "")
}

// DecodeError words an error from decoding a request body into a Go value
// as a 400 (413 past the limit) Problem that names no value.
func DecodeError(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return badRequest("", "the request body is not valid JSON")
	}
	var se *json.SemanticError
	if errors.As(err, &se) && se.JSONPointer != "" {
		return badRequest(truncatePointer(string(se.JSONPointer)), "has the wrong type")
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	return syntaxProblem(err)
}

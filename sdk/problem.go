package sdk

import (
	"net/http"

	"github.com/kenarkit/kenarkit/internal/refusal"
)

// Problem is an RFC 9457 problem document, the body of every error answer
// the server sends (as application/problem+json). It is also an error that
// knows its HTTP status, so a handler or middleware can return one.
//
// A Problem never repeats a submitted value, a secret, or the schema: its
// texts are written by kenarkit, and each [FieldError] names the failing
// field by JSON pointer.
type Problem struct {
	Type      string       `json:"type,omitempty"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// FieldError is one failing field of a request: a JSON pointer into the
// body (RFC 6901), or the name of a header, and what is wrong with it. Its
// String is "pointer: detail" or "header NAME: detail".
type FieldError = refusal.FieldError

// NewProblem returns a Problem with the given status, its standard title and
// detail.
func NewProblem(status int, detail string) *Problem {
	return &Problem{Title: http.StatusText(status), Status: status, Detail: detail}
}

// Error implements error. It lists the failing fields but no values.
func (p *Problem) Error() string { return refusal.Format(p.Status, p.Title, p.Detail, p.Errors) }

// StatusCode returns the HTTP status the problem is answered with.
func (p *Problem) StatusCode() int { return p.Status }

// ProblemContentType is the media type of [Problem] answers.
const ProblemContentType = "application/problem+json"

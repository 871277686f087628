package sdk

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/kenarkit/kenarkit/internal/validate"

	"github.com/go-json-experiment/json"
	"github.com/labstack/echo/v4"
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
type FieldError = validate.FieldError

// NewProblem returns a Problem with the given status, its standard title and
// detail.
func NewProblem(status int, detail string) *Problem {
	return &Problem{Title: http.StatusText(status), Status: status, Detail: detail}
}

// Error implements error. It lists the failing fields but no values.
func (p *Problem) Error() string { return validate.Format(p.Status, p.Title, p.Detail, p.Errors) }

// StatusCode returns the HTTP status the problem is answered with.
func (p *Problem) StatusCode() int { return p.Status }

// statusClientClosedRequest is the status logged for a request whose
// client went away before the answer (nginx's 499).
const statusClientClosedRequest = 499

// ProblemContentType is the media type of [Problem] answers.
const ProblemContentType = "application/problem+json"

// errorHandler is the echo.HTTPErrorHandler that answers every error as a
// [Problem]: a *Problem as it is; an *echo.HTTPError with its status and a
// fixed text (echo's own messages can carry parser internals); anything
// else as 500 with no detail. Errors of 500 and above are logged to logger
// (slog.Default() if nil) with the request id, method and route, never
// with the request's values.
func errorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	if logger == nil {
		logger = slog.Default()
	}
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := toProblem(err)
		if errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil {
			// The client went away: nobody reads this answer, and it is no
			// server error. The request log says so.
			p = &Problem{Title: "Client Closed Request", Status: statusClientClosedRequest}
		}
		p.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
		if p.Status >= 500 {
			logger.LogAttrs(c.Request().Context(), slog.LevelError, "request failed",
				slog.String("request_id", p.RequestID),
				slog.String("method", c.Request().Method),
				slog.String("route", c.Path()),
				slog.Int("status", p.Status),
				slog.String("error", err.Error()))
		}
		if p.Status == http.StatusUnauthorized && c.Response().Header().Get(echo.HeaderWWWAuthenticate) == "" {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, WWWAuthenticate)
		}
		_ = writeProblem(c.Response(), c.Request().Method, p)
	}
}

// fromValidate turns the validator's refusal into the Problem answered.
func fromValidate(err error) error {
	vp, ok := err.(*validate.Problem)
	if !ok {
		return err
	}
	return &Problem{Title: vp.Title, Status: vp.Status, Detail: vp.Detail, Errors: vp.Errors}
}

func toProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		cp := *p
		if cp.Title == "" {
			cp.Title = http.StatusText(cp.Status)
		}
		return &cp
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return NewProblem(he.Code, httpErrorDetail(he.Code))
	}
	return NewProblem(http.StatusInternalServerError, "")
}

// httpErrorDetail is the fixed text for errors raised by echo itself.
func httpErrorDetail(code int) string {
	switch code {
	case http.StatusNotFound:
		return "no such route"
	case http.StatusMethodNotAllowed:
		return "method not allowed; see the Allow header"
	case http.StatusRequestEntityTooLarge:
		return "the request body is too large"
	case http.StatusUnsupportedMediaType:
		return "the request body must be application/json"
	case http.StatusBadRequest:
		return "the request is malformed"
	case http.StatusUnauthorized:
		return "a valid identification key is required in the Authorization header"
	}
	return ""
}

func writeProblem(w *echo.Response, method string, p *Problem) error {
	b, err := json.Marshal(p, json.Deterministic(true))
	if err != nil {
		return err
	}
	w.Header().Set(echo.HeaderContentType, ProblemContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// The answer is whole as soon as it is flushed (a 413 is, before the
	// refused body is drained), not only once the handler returns.
	w.Header().Set(echo.HeaderContentLength, strconv.Itoa(len(b)))
	w.WriteHeader(p.Status)
	if method == http.MethodHead {
		return nil
	}
	_, err = w.Write(b)
	return err
}

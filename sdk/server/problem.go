package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/kenarkit/kenarkit/internal/validate"
	"github.com/kenarkit/kenarkit/sdk"

	"github.com/go-json-experiment/json"
	"github.com/labstack/echo/v4"
)

// statusClientClosedRequest is the status logged for a request whose
// client went away before the answer (nginx's 499).
const statusClientClosedRequest = 499

// errorHandler is the echo.HTTPErrorHandler that answers every error as a
// [sdk.Problem]: a *sdk.Problem as it is; an *echo.HTTPError with its status and a
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
			p = &sdk.Problem{Title: "Client Closed Request", Status: statusClientClosedRequest}
		}
		p.RequestID = requestID(c)
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
	return &sdk.Problem{Title: vp.Title, Status: vp.Status, Detail: vp.Detail, Errors: vp.Errors}
}

func toProblem(err error) *sdk.Problem {
	var p *sdk.Problem
	if errors.As(err, &p) {
		cp := *p
		if cp.Title == "" {
			cp.Title = http.StatusText(cp.Status)
		}
		return &cp
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return sdk.NewProblem(he.Code, httpErrorDetail(he.Code))
	}
	return sdk.NewProblem(http.StatusInternalServerError, "")
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

func writeProblem(w *echo.Response, method string, p *sdk.Problem) error {
	b, err := json.Marshal(p, json.Deterministic(true))
	if err != nil {
		return err
	}
	w.Header().Set(echo.HeaderContentType, sdk.ProblemContentType)
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

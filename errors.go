package coopmap

import (
	"errors"
	"fmt"
)

// Code is one of the closed set of domain error kinds. The web layer maps
// each code to one HTTP status in a single table.
type Code string

// The domain error codes.
const (
	// CodeNotFound: the thing asked for does not exist.
	CodeNotFound Code = "not_found"
	// CodeInvalid: a value fails validation; Error.Field names it.
	CodeInvalid Code = "invalid"
	// CodeConflict: the write clashes with the current state (an existing
	// id, a stale version).
	CodeConflict Code = "conflict"
	// CodeUnauthorized: the caller may not do this.
	CodeUnauthorized Code = "unauthorized"
	// CodeTooLarge: a size, count or time limit was exceeded.
	CodeTooLarge Code = "too_large"
	// CodeUnroutable: well-formed points that cannot be routed between (too
	// far from any road, or on roads that do not connect); Error.Field
	// names the point.
	CodeUnroutable Code = "unroutable"
	// CodeUnavailable: the store cannot be reached or is restarting; the
	// same request may succeed shortly.
	CodeUnavailable Code = "unavailable"
)

// Sentinels for errors.Is: errors.Is(err, coopmap.ErrNotFound) holds for
// any *Error with that code, whatever its field or message.
var (
	ErrNotFound     = &Error{Code: CodeNotFound}
	ErrInvalid      = &Error{Code: CodeInvalid}
	ErrConflict     = &Error{Code: CodeConflict}
	ErrUnauthorized = &Error{Code: CodeUnauthorized}
	ErrTooLarge     = &Error{Code: CodeTooLarge}
	ErrUnavailable  = &Error{Code: CodeUnavailable}
)

// Error is a domain error: a code, the field it concerns (for invalid
// values, as a JSON-style path such as "geometry" or "stops[2].feature_id"),
// and a message fit to show to the person who sent the value.
type Error struct {
	Code    Code
	Field   string
	Message string
}

// Error implements error.
func (e *Error) Error() string {
	switch {
	case e.Field != "" && e.Message != "":
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	case e.Message != "":
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	default:
		return string(e.Code)
	}
}

// Is makes errors.Is match any *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Field == "" && t.Message == ""
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf returns an invalid-value error naming the field.
func Invalidf(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf returns a not-found error with a formatted message.
func NotFoundf(format string, args ...any) *Error {
	return Errorf(CodeNotFound, format, args...)
}

// ErrorCode returns the code of the first *Error in err's chain, or "" when
// there is none (an internal failure).
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ErrorField returns the field of the first *Error in err's chain, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// prefixField returns err with its field prefixed by path, so a stop's
// error reads "stops[2].name". Errors without a field gain path as field.
func prefixField(path string, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	f := path
	if e.Field != "" {
		f = path + "." + e.Field
	}
	return &Error{Code: e.Code, Field: f, Message: e.Message}
}

// Package aceso holds what every layer of Aceso shares: the error type whose
// code decides the HTTP status and CLI exit, and whose message is safe to show.
package aceso

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the web package.
const (
	ECONFLICT     = "conflict"     // unique key taken, stale update
	EINTERNAL     = "internal"     // a bug or an outage; message is generic
	EINVALID      = "invalid"      // bad input; message names the field
	ENOTFOUND     = "not_found"    // missing, or belongs to another tenant
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // authenticated but the role does not allow it
	ETOOLARGE     = "too_large"    // request body or upload over the limit
	ETOOMANY      = "too_many"     // throttled
	EUNAVAILABLE  = "unavailable"  // dependency down (database)
)

// Error is an application error: Code for machines, Message safe for users,
// Err the wrapped cause for logs (never shown to users).
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error that carries cause for the logs and message for the user.
func Wrap(code string, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err: the message of the
// first *Error in its chain, or a generic text for anything else.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

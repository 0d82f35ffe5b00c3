package tensor

import (
	"fmt"
	"strings"
)

// Error is the value a tensor operation panics with when it is misused: a shape that
// does not fit, an axis out of range, an index out of bounds. Its message names the op
// and the shapes involved, for example
//
//	tensor: MatMul: shapes (2,3) and (4,5) do not match
//
// Catch turns such a panic back into an error.
type Error struct {
	Op  string // the operation, e.g. "MatMul"
	Msg string // what was wrong, with the shapes
}

// Error returns the message in the form "tensor: Op: message".
func (e *Error) Error() string { return "tensor: " + e.Op + ": " + e.Msg }

// Panicf panics with an *Error for op. Packages built on tensor use it so that every
// programmer mistake in the library has the same form.
func Panicf(op, format string, args ...any) {
	panic(&Error{Op: op, Msg: fmt.Sprintf(format, args...)})
}

// Catch runs f and returns the *Error it panicked with, or nil if it returned
// normally. Panics that are not an *Error are propagated unchanged. Use it at a service
// boundary so that a bad request cannot take the process down:
//
//	err := tensor.Catch(func() { y = model.Forward(x) })
func Catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*Error); ok {
				err = e
				return
			}
			panic(r)
		}
	}()
	f()
	return nil
}

// ShapeString formats a shape like PyTorch does in messages: (2,3).
func ShapeString(shape []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, d := range shape {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, d)
	}
	b.WriteByte(')')
	return b.String()
}

//go:build !mnisteval

package main

import "errors"

// quality is the stand-in used until examples/internal/mnisteval is merged: build with
// -tags mnisteval (and delete this file) to use the shared evaluator.
func quality(imgs [][]float32) (string, error) {
	return "", errors.New("built without examples/internal/mnisteval")
}

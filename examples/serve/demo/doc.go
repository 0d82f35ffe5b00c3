// Package demo provides two toy models so that examples/serve is useful before any
// trained family model is wired in. Both are labelled as demos in /v1/models.
//
// # Models
//
// CharMLP is a character-level MLP language model in the style of Bengio et al. 2003
// ("A Neural Probabilistic Language Model",
// https://www.jmlr.org/papers/volume3/bengio03a/bengio03a.pdf): the last Context
// characters are embedded, concatenated and mapped through one tanh hidden layer to
// next-character logits. It is built with package nn and trained with Adam for a few
// seconds at start-up on an embedded 3.7 KB corpus of Shakespeare (public domain), so
// its text is Shakespeare-flavoured gibberish; it shows the serving path, not quality.
//
// Blobs is not a learned model at all: a procedural sampler that draws Gaussian blobs
// and smooths them for a number of "steps", so that the image endpoint, its parameters
// (n, seed, class, steps) and its cancellation can be exercised.
//
// # Shapes
//
// CharMLP: ids (B,Context) -> embeddings (B,Context,Embed) -> (B,Context·Embed) ->
// hidden (B,Hidden) -> logits (B,Vocab). Blobs: 28×28 grayscale images.
//
// # Errors
//
// Load functions return errors for unreadable corpora and bad options; CharMLP returns
// a 400-class *server.FieldError for a prompt with characters outside its alphabet.
package demo

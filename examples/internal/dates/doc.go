// Package dates holds the task of examples/seq2seq: dates written the ways people write
// them — "Thursday, 26 November 2026", "11/26/26", "the 26th of November, 2026" — and
// their ISO 8601 form, "2026-11-26", as token ids for an encoder–decoder Transformer.
//
// Source ids index SourceChars (0 is padding); target ids are Pad, Start, Stop and then
// the characters of ISOChars. NewModel builds the example's model, so that the example,
// the embedded pretrained translator and the tests agree on the vocabulary and layout.
//
// Errors: Encode returns an error naming the first character outside SourceChars.
package dates

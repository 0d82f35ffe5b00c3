// Package doccheck holds no code, only a test that keeps the module's documentation
// complete enough for pkg.go.dev.
//
// TestDocComments parses every non-test .go file of the module (all build tags, so the
// amd64 stubs and the purego twins alike; testdata and hidden directories are skipped)
// and fails, listing file:line and name, for:
//
//   - a package without a package comment, a package comment in more than one file,
//     or a library (non-main) package whose comment is not in doc.go or does not start
//     "Package <name> ";
//   - an exported function, an exported method of an exported type, an exported type,
//     or an exported const or var without a doc comment (a const/var may be covered by
//     the comment of its parenthesised group or by a comment at the end of its line);
//   - a function, method or type whose doc comment does not start with its name
//     (optionally after "A", "An" or "The");
//   - an exported field of an exported config struct (a type whose name ends in
//     "Config") without a comment above it or at the end of its line: its fields are
//     the knobs users set, and their zero values are defaults to document. Fields of
//     other structs and methods of interfaces are left to the type's comment.
//
// Identifiers in main packages are checked too: the examples are code people copy.
package doccheck

package doccheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// moduleRoot walks up from the working directory to the directory holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// packageFiles returns the module's non-test .go files grouped by directory.
func packageFiles(t *testing.T, root string) map[string][]string {
	t.Helper()
	dirs := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			dirs[filepath.Dir(path)] = append(dirs[filepath.Dir(path)], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// checker collects the findings of one run.
type checker struct {
	fset     *token.FileSet
	root     string
	findings []string
}

func (c *checker) report(pos token.Pos, format string, args ...any) {
	p := c.fset.Position(pos)
	rel, err := filepath.Rel(c.root, p.Filename)
	if err != nil {
		rel = p.Filename
	}
	c.findings = append(c.findings, fmt.Sprintf("%s:%d: %s", rel, p.Line, fmt.Sprintf(format, args...)))
}

// startsWithName reports whether a doc comment begins with name, optionally after an
// article, as the Go doc conventions ask.
func startsWithName(doc *ast.CommentGroup, name string) bool {
	words := strings.Fields(doc.Text())
	for i := 0; i < len(words) && i < 2; i++ {
		w := strings.TrimRight(words[i], ".,:;'s")
		if words[i] == name || w == name || strings.HasPrefix(words[i], name+"'") {
			return true
		}
		if i == 0 && words[i] != "A" && words[i] != "An" && words[i] != "The" {
			return false
		}
	}
	return false
}

// receiverType returns the name of a method receiver's base type.
func receiverType(recv *ast.FieldList) string {
	if recv == nil || len(recv.List) == 0 {
		return ""
	}
	expr := recv.List[0].Type
	for {
		switch e := expr.(type) {
		case *ast.StarExpr:
			expr = e.X
		case *ast.IndexExpr:
			expr = e.X
		case *ast.IndexListExpr:
			expr = e.X
		case *ast.ParenExpr:
			expr = e.X
		case *ast.Ident:
			return e.Name
		default:
			return ""
		}
	}
}

func (c *checker) checkFunc(fn *ast.FuncDecl) {
	if !fn.Name.IsExported() {
		return
	}
	what := "func " + fn.Name.Name
	if fn.Recv != nil {
		recv := receiverType(fn.Recv)
		if !ast.IsExported(recv) {
			return
		}
		what = "method " + recv + "." + fn.Name.Name
	}
	switch {
	case fn.Doc == nil:
		c.report(fn.Pos(), "%s has no doc comment", what)
	case !startsWithName(fn.Doc, fn.Name.Name):
		c.report(fn.Pos(), "doc comment of %s does not start with %q", what, fn.Name.Name)
	}
}

func (c *checker) checkGen(decl *ast.GenDecl) {
	for _, spec := range decl.Specs {
		switch s := spec.(type) {
		case *ast.TypeSpec:
			if !s.Name.IsExported() {
				continue
			}
			doc := s.Doc
			if doc == nil && !decl.Lparen.IsValid() {
				doc = decl.Doc
			}
			switch {
			case doc == nil:
				c.report(s.Pos(), "type %s has no doc comment", s.Name.Name)
			case !startsWithName(doc, s.Name.Name):
				c.report(s.Pos(), "doc comment of type %s does not start with %q", s.Name.Name, s.Name.Name)
			}
			if strings.HasSuffix(s.Name.Name, "Config") {
				c.checkFields(s)
			}
		case *ast.ValueSpec:
			for _, name := range s.Names {
				if name.IsExported() && s.Doc == nil && s.Comment == nil && decl.Doc == nil {
					c.report(name.Pos(), "%s %s has no doc comment", decl.Tok, name.Name)
				}
			}
		}
	}
}

// checkFields checks that every exported field of a config struct has a comment: a
// config's fields are the knobs users set, and their zero values are defaults to
// document. Fields of other structs and methods of interfaces are described by the
// type's comment and not checked.
func (c *checker) checkFields(s *ast.TypeSpec) {
	st, ok := s.Type.(*ast.StructType)
	if !ok {
		return
	}
	for _, f := range st.Fields.List {
		if f.Doc != nil || f.Comment != nil {
			continue
		}
		for _, name := range f.Names { // embedded fields have no names
			if name.IsExported() {
				c.report(name.Pos(), "field %s.%s has no comment", s.Name.Name, name.Name)
			}
		}
	}
}

func (c *checker) checkPackage(dir string, files []string) {
	var name string
	var docFiles []string
	for _, path := range files {
		f, err := parser.ParseFile(c.fset, path, nil, parser.ParseComments)
		if err != nil {
			c.findings = append(c.findings, err.Error())
			continue
		}
		name = f.Name.Name
		if f.Doc != nil {
			docFiles = append(docFiles, filepath.Base(path))
			if name != "main" && !strings.HasPrefix(f.Doc.Text(), "Package "+name+" ") {
				c.report(f.Package, "package comment does not start with %q", "Package "+name+" ")
			}
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				c.checkFunc(d)
			case *ast.GenDecl:
				c.checkGen(d)
			}
		}
	}
	rel, _ := filepath.Rel(c.root, dir)
	switch {
	case len(docFiles) == 0:
		c.findings = append(c.findings, fmt.Sprintf("%s: package %s has no package comment", rel, name))
	case len(docFiles) > 1:
		c.findings = append(c.findings, fmt.Sprintf("%s: package comments in %d files %v (pkg.go.dev joins them)", rel, len(docFiles), docFiles))
	case name != "main" && docFiles[0] != "doc.go":
		c.findings = append(c.findings, fmt.Sprintf("%s: package comment is in %s, not doc.go", rel, docFiles[0]))
	}
}

// pending lists directories that other branches are rewriting while this test lands:
// their findings are logged, not failed. Empty it once those branches are merged.
var pending = []string{}

// pendingDir returns the pending directory a finding is in, or "".
func pendingDir(finding string) string {
	for _, dir := range pending {
		if strings.HasPrefix(filepath.ToSlash(finding), dir) {
			return dir
		}
	}
	return ""
}

// TestDocComments fails listing every package comment and doc comment the module is
// missing; see the package comment for the rules.
func TestDocComments(t *testing.T) {
	root := moduleRoot(t)
	c := &checker{fset: token.NewFileSet(), root: root}
	dirs := packageFiles(t, root)
	if len(dirs) < 10 {
		t.Fatalf("found only %d package directories under %s", len(dirs), root)
	}
	for dir, files := range dirs {
		c.checkPackage(dir, files)
	}
	sort.Strings(c.findings)
	failed := 0
	for _, f := range c.findings {
		if dir := pendingDir(f); dir != "" {
			t.Logf("pending (%s is being changed on another branch): %s", dir, f)
			continue
		}
		t.Error(f)
		failed++
	}
	if failed > 0 {
		t.Logf("%d findings", failed)
	}
}

// TestCheckerFindsMissingDocs runs the checker on a package with one of each mistake,
// so that TestDocComments passing means something.
func TestCheckerFindsMissingDocs(t *testing.T) {
	dir := t.TempDir()
	src := `package bad

func Undocumented() {}

// wrong start.
func WrongStart() {}

// T is documented.
type T struct{}

func (T) Method() {}

func (T) unexported() {}

type U int

// TConfig is documented.
type TConfig struct {
	Knob int
	Documented int // yes
}

const C = 1

var (
	// V is fine.
	V = 1
)
`
	path := filepath.Join(dir, "bad.go")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &checker{fset: token.NewFileSet(), root: dir}
	c.checkPackage(dir, []string{path})
	want := []string{
		"bad.go:3: func Undocumented has no doc comment",
		`bad.go:6: doc comment of func WrongStart does not start with "WrongStart"`,
		"bad.go:11: method T.Method has no doc comment",
		"bad.go:15: type U has no doc comment",
		"bad.go:19: field TConfig.Knob has no comment",
		"bad.go:23: const C has no doc comment",
		".: package bad has no package comment",
	}
	sort.Strings(c.findings)
	sort.Strings(want)
	if strings.Join(c.findings, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(c.findings, "\n"), strings.Join(want, "\n"))
	}
}

// TestTutorialSnippets checks that every ```go block of the markdown files in docs/
// appears verbatim in a .go file of the module, so that the tutorials quote code that
// compiles and is tested (examples/tutorial/*) rather than copies that drift.
func TestTutorialSnippets(t *testing.T) {
	root := moduleRoot(t)
	var sources []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sources = append(sources, string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for _, path := range docs {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, snip := range goBlocks(string(b)) {
			blocks++
			found := false
			for _, src := range sources {
				if strings.Contains(src, snip.code) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("docs/%s:%d: the go block is not in any .go file of the module (copy it from the source):\n%s",
					filepath.Base(path), snip.line, snip.code)
			}
		}
	}
	if len(docs) > 0 && blocks == 0 {
		t.Error("no ```go blocks found in docs/*.md")
	}
}

// snippet is one fenced go block and the line its fence is on.
type snippet struct {
	code string
	line int
}

// goBlocks returns the contents of the ```go fenced blocks of a markdown text.
func goBlocks(md string) []snippet {
	var out []snippet
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```go" {
			continue
		}
		start := i
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, lines[i])
		}
		out = append(out, snippet{code: strings.Join(body, "\n") + "\n", line: start + 1})
	}
	return out
}

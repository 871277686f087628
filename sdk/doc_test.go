package sdk_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// TestGoDocListsWidgetColors: `go doc` of sdk/widget lists every widget
// colour, not the first and "...".
func TestGoDocListsWidgetColors(t *testing.T) {
	out, err := exec.Command("go", "doc", "./widget").CombinedOutput()
	if err != nil {
		t.Fatalf("go doc: %v\n%s", err, out)
	}
	for _, c := range []string{"ColorSuccessPrimary", "ColorSuccessSecondary", "ColorWarningPrimary", "ColorWarningSecondary", "ColorErrorPrimary"} {
		if !strings.Contains(string(out), "const "+c+" WidgetColor") {
			t.Errorf("go doc does not list %s:\n%s", c, out)
		}
	}
}

// The godoc of kenarkit's packages has no line said twice in a row and no
// doc link to a name the package does not declare.
func TestDocComments(t *testing.T) {
	// A doc link: [Name], [Name.Member] or [pkg.Name], not an index (b[i]).
	link := regexp.MustCompile(`(?:^|[^\w\]])\[([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?\]`)
	for _, dir := range []string{".", "event", "divartest", "addonenv"} {
		fset := token.NewFileSet()
		names, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		pkg := struct{ Files map[string]*ast.File }{Files: map[string]*ast.File{}}
		for _, name := range names {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			pkg.Files[name] = f
		}
		{
			declared, imported := map[string]bool{}, map[string]bool{}
			for _, f := range pkg.Files {
				for _, imp := range f.Imports {
					name := strings.Trim(imp.Path.Value, `"`)
					name = name[strings.LastIndex(name, "/")+1:]
					if imp.Name != nil {
						name = imp.Name.Name
					}
					imported[name] = true
				}
				for _, d := range f.Decls {
					switch d := d.(type) {
					case *ast.FuncDecl:
						name := d.Name.Name
						if d.Recv != nil && len(d.Recv.List) == 1 {
							name = recvName(d.Recv.List[0].Type) + "." + name
						}
						declared[name] = true
					case *ast.GenDecl:
						for _, s := range d.Specs {
							switch s := s.(type) {
							case *ast.TypeSpec:
								declared[s.Name.Name] = true
								var members []*ast.Field
								switch t := s.Type.(type) {
								case *ast.StructType:
									members = t.Fields.List
								case *ast.InterfaceType:
									members = t.Methods.List
								}
								for _, f := range members {
									for _, n := range f.Names {
										declared[s.Name.Name+"."+n.Name] = true
									}
								}
							case *ast.ValueSpec:
								for _, n := range s.Names {
									declared[n.Name] = true
								}
							}
						}
					}
				}
			}
			for name, f := range pkg.Files {
				for _, cg := range f.Comments {
					lines := strings.Split(cg.Text(), "\n")
					for i, line := range lines {
						if i > 0 && strings.TrimSpace(line) != "" && line == lines[i-1] {
							t.Errorf("%s: %s: the doc line %q is repeated", filepath.Join(dir, filepath.Base(name)), fset.Position(cg.Pos()), line)
						}
						if strings.HasPrefix(line, "\t") { // code, not prose
							continue
						}
						for _, m := range link.FindAllStringSubmatch(line, -1) {
							target := m[1]
							if m[2] == "" && !unicode.IsUpper(rune(target[0])) {
								continue // [i], [key]: not an exported name
							}
							if m[2] != "" {
								if imported[m[1]] {
									continue
								}
								target += "." + m[2]
							}
							if !declared[target] && !imported[target] {
								t.Errorf("%s: doc link %s names nothing the package declares", fset.Position(cg.Pos()), m[0])
							}
						}
					}
				}
			}
		}
	}
}

func recvName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return recvName(e.X)
	case *ast.Ident:
		return e.Name
	case *ast.IndexExpr:
		return recvName(e.X)
	}
	return ""
}

package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLogFieldsDocumented: every message and every field that the service
// logs through slog (Info, Warn, Error, Debug with a literal message and
// literal keys) is listed in docs/logging.md.
func TestLogFieldsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/logging.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	dirs := []string{"../../smtpd", "../../filedrop", "../../sanitize", "../../metrics", "../../quarantine/local", "."}
	seen := 0
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			af, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(af, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || len(call.Args) == 0 {
					return true
				}
				switch sel.Sel.Name {
				case "Info", "Warn", "Error", "Debug":
				default:
					return true
				}
				msg, ok := stringLit(call.Args[0])
				if !ok {
					return true
				}
				seen++
				where := fset.Position(call.Pos()).String()
				if !strings.Contains(text, "`"+msg+"`") {
					t.Errorf("%s: message %q is not in docs/logging.md", where, msg)
				}
				for i := 1; i < len(call.Args); i += 2 {
					if key, ok := stringLit(call.Args[i]); ok && !strings.Contains(text, "| `"+key+"` |") {
						t.Errorf("%s: field %q is not in docs/logging.md", where, key)
					}
				}
				return true
			})
		}
	}
	if seen < 20 {
		t.Fatalf("found only %d log calls: is the scan broken?", seen)
	}
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

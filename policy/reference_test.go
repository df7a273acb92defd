package policy

import (
	"encoding"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite generated files (docs/configuration-reference.md)")

// TestConfigReference keeps docs/configuration-reference.md equal to the
// Config structs: every key, its type, its default (from Default) and its
// meaning (the field's doc comment). Run
// `go test ./policy -run ConfigReference -update` after changing a field.
func TestConfigReference(t *testing.T) {
	got := configReference(t)
	const path = "../docs/configuration-reference.md"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(old) != got {
		t.Errorf("%s is out of date: run go test ./policy -run ConfigReference -update", path)
	}
}

// TestConfigReferenceCoversEveryKey: every key that the effective
// configuration writes (mugai config check) is in the reference.
func TestConfigReferenceCoversEveryKey(t *testing.T) {
	ref := configReference(t)
	var b strings.Builder
	if err := Default().WriteTOML(&b); err != nil {
		t.Fatal(err)
	}
	table := ""
	for _, line := range strings.Split(b.String(), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "["):
			table = strings.Trim(line, "[]")
		case strings.Contains(line, "=") && table != "actions":
			key := strings.TrimSpace(line[:strings.Index(line, "=")])
			full := key
			if table != "" {
				full = table + "." + key
			}
			if !strings.Contains(ref, "`"+full+"`") {
				t.Errorf("key %s is missing from the reference", full)
			}
		}
	}
}

type refField struct {
	key, typ, def, doc string
}

type refTable struct {
	name, doc string
	fields    []refField
}

func configReference(t *testing.T) string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "config.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	structs := map[string]*ast.StructType{}
	ast.Inspect(f, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok {
			if st, ok := ts.Type.(*ast.StructType); ok {
				structs[ts.Name.Name] = st
			}
		}
		return true
	})
	var tables []refTable
	var walk func(name, doc, typeName string, v reflect.Value)
	walk = func(name, doc, typeName string, v reflect.Value) {
		st := structs[typeName]
		if st == nil {
			t.Fatalf("no struct %s in config.go", typeName)
		}
		tab := refTable{name: name, doc: doc}
		keys := goToKey(st)
		prevDoc := ""
		var sub []func()
		for _, fld := range st.Fields.List {
			if fld.Tag == nil || len(fld.Names) != 1 {
				continue
			}
			tag := reflect.StructTag(strings.Trim(fld.Tag.Value, "`")).Get("toml")
			if tag == "" || tag == "-" {
				continue
			}
			goName := fld.Names[0].Name
			fdoc := docText(fld.Doc, goName, keys)
			if fdoc == "" {
				fdoc = prevDoc
			}
			prevDoc = fdoc
			key := tag
			if name != "" {
				key = name + "." + tag
			}
			fv := v.FieldByName(goName)
			switch ft := fld.Type.(type) {
			case *ast.Ident:
				if _, ok := structs[ft.Name]; ok {
					sub = append(sub, func() { walk(key, fdoc, ft.Name, fv) })
					continue
				}
			case *ast.ArrayType:
				if id, ok := ft.Elt.(*ast.Ident); ok {
					if _, ok := structs[id.Name]; ok {
						sub = append(sub, func() { walk(key+"[]", fdoc, id.Name, reflect.Zero(fv.Type().Elem())) })
						continue
					}
				}
			}
			tab.fields = append(tab.fields, refField{key: key, typ: typeOf(fv.Type()), def: defaultOf(fv), doc: fdoc})
		}
		tables = append(tables, tab)
		for _, fn := range sub {
			fn()
		}
	}
	walk("", "", "Config", reflect.ValueOf(Default()).Elem())
	ja := jaDescriptions(t)

	var b strings.Builder
	b.WriteString("# 設定リファレンス / Configuration reference\n\n")
	b.WriteString("<!-- generated from policy/config.go by `go test ./policy -run ConfigReference -update`; do not edit -->\n\n")
	b.WriteString("設定ファイル（TOML）のすべてのキー・型・既定値・意味です。英語の説明はコードのコメントから、\n")
	b.WriteString("日本語の説明は [configuration.md](configuration.md) の例のコメントから生成され、テストがコードや例との食い違いを検出します。\n")
	b.WriteString("既定値は `mugai config check` が表示する有効な設定と同じです。\n\n")
	b.WriteString("Every key of the policy file (TOML), its type, its default and its meaning, generated from the\n")
	b.WriteString("code's doc comments; a test fails when this file and the code disagree. An annotated example is in\n")
	b.WriteString("[configuration.md](configuration.md). The defaults are what `mugai config check` prints.\n\n")
	b.WriteString("Types: `size` is bytes as an integer or with a unit (`\"512KB\"`, `\"50MB\"`, `\"1GB\"`, powers of 1024);\n")
	b.WriteString("`duration` is Go syntax (`\"90s\"`, `\"2m\"`, `\"1h30m\"`) or whole days (`\"30d\"`).\n")
	for _, tab := range tables {
		title := "[" + tab.name + "]"
		switch {
		case tab.name == "":
			title = "Top level"
		case strings.HasSuffix(tab.name, "[]"):
			title = "[[" + strings.TrimSuffix(tab.name, "[]") + "]]"
		}
		fmt.Fprintf(&b, "\n## %s\n\n", title)
		if tab.doc != "" {
			fmt.Fprintf(&b, "%s\n\n", tab.doc)
		}
		b.WriteString("| key | type | default | 説明 | meaning |\n|---|---|---|---|---|\n")
		for _, fl := range tab.fields {
			key := strings.Replace(fl.key, "[]", "", 1)
			j, ok := ja[key]
			if !ok && key != "actions" {
				t.Errorf("docs/configuration.md does not show %s with a Japanese comment", key)
			}
			if key == "actions" {
				j = "種類ごとの扱い: \"sanitize\"（作り直す）、\"verify\"（危険な要素がなければ原本のまま）、\"block\"。ここに無い種類はブロック"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", key, fl.typ, fl.def, cell(j), cell(fl.doc))
		}
		if tab.name == "" {
			b.WriteString("\n### [actions] defaults\n\n")
			b.WriteString("Types not listed are blocked. 一覧にない種類はブロックされます。\n\n")
			b.WriteString("| type | action |\n|---|---|\n")
			for _, k := range slices.Sorted(maps.Keys(DefaultActions)) {
				fmt.Fprintf(&b, "| `%s` | `%s` |\n", k, DefaultActions[k])
			}
		}
	}
	return b.String()
}

// jaDescriptions reads the Japanese comments of the keys in the TOML
// examples of docs/configuration.md: a comment at the end of the key's line,
// else the comment lines right above it, else (for a key set next to its
// twin, like tls_key) the previous key's.
func jaDescriptions(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	blocks := strings.Split(string(b), "```toml\n")
	keyRE := regexp.MustCompile(`^([a-z_0-9]+)\s*=\s*(.*)$`)
	for _, blk := range blocks[1:] {
		blk = blk[:strings.Index(blk, "```")]
		table, above, prev := "", "", ""
		for _, l := range strings.Split(blk, "\n") {
			l = strings.TrimSpace(l)
			switch {
			case strings.HasPrefix(l, "#"):
				above = strings.TrimSpace(above + " " + strings.TrimSpace(strings.TrimPrefix(l, "#")))
				continue
			case strings.HasPrefix(l, "["):
				table = strings.Trim(l, "[]")
			case keyRE.MatchString(l):
				m := keyRE.FindStringSubmatch(l)
				key := m[1]
				if table != "" {
					key = table + "." + key
				}
				desc := ""
				if i := strings.Index(m[2], "#"); i >= 0 && !strings.HasPrefix(strings.TrimSpace(m[2]), `"`+"#") {
					desc = strings.TrimSpace(m[2][i+1:])
				}
				if desc == "" {
					desc = above
				}
				if desc == "" {
					desc = prev
				}
				if _, seen := out[key]; !seen && desc != "" && table != "actions" {
					out[key] = desc
				}
				prev = desc
			}
			above = ""
		}
	}
	return out
}

// goToKey maps the Go field names of a struct to their TOML keys, so the
// doc comments can speak in keys.
func goToKey(st *ast.StructType) map[string]string {
	m := map[string]string{}
	for _, fld := range st.Fields.List {
		if fld.Tag == nil {
			continue
		}
		tag := reflect.StructTag(strings.Trim(fld.Tag.Value, "`")).Get("toml")
		for _, n := range fld.Names {
			if tag != "" {
				m[n.Name] = tag
			}
		}
	}
	return m
}

var identRE = regexp.MustCompile(`\b[A-Z][A-Za-z0-9]*\b`)

// docText joins a doc comment into one paragraph, with the struct's Go
// field names written as their keys: the field's own name, and the other
// fields' names unless they are acronyms (HTML, CSV, PDF), which the text
// uses as words.
func docText(cg *ast.CommentGroup, self string, keys map[string]string) string {
	if cg == nil {
		return ""
	}
	s := strings.Join(strings.Fields(cg.Text()), " ")
	lead := ""
	if rest, ok := strings.CutPrefix(s, self); ok && keys[self] != "" {
		lead, s = "`"+keys[self]+"`", rest
	}
	return lead + identRE.ReplaceAllStringFunc(s, func(w string) string {
		if k, ok := keys[w]; ok && strings.ToUpper(w) != w {
			return "`" + k + "`"
		}
		return w
	})
}

func typeOf(t reflect.Type) string {
	switch t.Name() {
	case "ByteSize":
		return "size"
	case "Duration":
		return "duration"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Slice:
		return "list of " + typeOf(t.Elem())
	case reflect.Map:
		return "table of " + typeOf(t.Elem())
	}
	return t.String()
}

func defaultOf(v reflect.Value) string {
	if tm, ok := v.Interface().(encoding.TextMarshaler); ok {
		b, err := tm.MarshalText()
		if err == nil {
			return "`" + strconv.Quote(string(b)) + "`"
		}
	}
	switch v.Kind() {
	case reflect.String:
		return "`" + strconv.Quote(v.String()) + "`"
	case reflect.Bool:
		return fmt.Sprintf("`%v`", v.Bool())
	case reflect.Int, reflect.Int64:
		return fmt.Sprintf("`%d`", v.Int())
	case reflect.Slice:
		var parts []string
		for i := range v.Len() {
			parts = append(parts, strconv.Quote(fmt.Sprint(v.Index(i).Interface())))
		}
		return "`[" + strings.Join(parts, ", ") + "]`"
	case reflect.Map:
		return "see below"
	}
	return fmt.Sprint(v.Interface())
}

// cell keeps text inside one Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

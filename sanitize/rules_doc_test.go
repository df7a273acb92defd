package sanitize

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite generated files (docs/rules.md)")

// TestRulesDoc keeps docs/rules.md equal to RuleTable: run
// `go test ./sanitize -run RulesDoc -update` after adding a rule.
func TestRulesDoc(t *testing.T) {
	var b strings.Builder
	b.WriteString("# 規則 ID 一覧 / Rule IDs\n\n")
	b.WriteString("mugai の判定はすべて安定した規則 ID を持ちます。レポート、監査ログ、通知に現れます。\n")
	b.WriteString("Every decision mugai makes carries one of these stable rule IDs.\n\n")
	b.WriteString("<!-- generated from sanitize/rules.go by `go test ./sanitize -run RulesDoc -update`; do not edit -->\n\n")
	b.WriteString("| ID | 説明 | description |\n|---|---|---|\n")
	for _, r := range RuleTable {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.ID, r.JA, r.EN)
	}
	const path = "../docs/rules.md"
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(got) != b.String() {
		t.Errorf("%s is out of date: run go test ./sanitize -run RulesDoc -update", path)
	}
}

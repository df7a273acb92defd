package smtpd_test

import (
	"os"
	"strings"
	"testing"
)

// settings parses "key = value" lines (comments and blank lines skipped).
func settings(text string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		if i := strings.Index(l, "#"); i >= 0 {
			l = l[:i]
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		out[strings.TrimSpace(k)] = strings.Join(strings.Fields(v), " ")
	}
	return out
}

// TestPostfixDocMatchesTest: every Postfix setting that docs/postfix.md
// quotes from the integration test (the block after the marker) is the
// test's, with mugai on port 2525; and the test's relaying settings are all
// quoted.
func TestPostfixDocMatchesTest(t *testing.T) {
	b, err := os.ReadFile("../docs/postfix.md")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "<!-- main.cf of smtpd/postfix_test.go (TestPostfixDocMatchesTest) -->"
	doc := string(b)
	i := strings.Index(doc, marker)
	if i < 0 {
		t.Fatalf("docs/postfix.md lacks the marker %s", marker)
	}
	block := doc[i+len(marker):]
	start := strings.Index(block, "```")
	block = block[start+3:]
	block = block[strings.Index(block, "\n")+1:]
	block = block[:strings.Index(block, "```")]
	quoted := settings(block)
	test := settings(strings.ReplaceAll(postfixMainCF, "%[2]s", "2525"))
	if len(quoted) == 0 {
		t.Fatal("the quoted block has no settings")
	}
	for k, v := range quoted {
		if tv, ok := test[k]; !ok || tv != v {
			t.Errorf("docs/postfix.md: %s = %s, but the test uses %s = %s", k, v, k, tv)
		}
	}
	for _, k := range []string{"relay_domains", "smtpd_relay_restrictions", "mydestination", "local_recipient_maps", "relayhost", "smtp_tls_security_level", "mynetworks"} {
		if _, ok := quoted[k]; !ok {
			t.Errorf("docs/postfix.md does not quote %s", k)
		}
	}
}

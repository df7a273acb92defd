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
	quoted := settings(docBlock(t, "<!-- main.cf of smtpd/postfix_test.go (TestPostfixDocMatchesTest) -->"))
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

	// B: the after-queue content_filter set-up.
	quoted = settings(docBlock(t, "<!-- main.cf of smtpd/postfix_filter_test.go (TestPostfixDocMatchesTest) -->"))
	test = settings(strings.ReplaceAll(postfixFilterMainCF, "%[2]s", "2525"))
	for k, v := range quoted {
		if k == "transport_maps" {
			continue // a hash: file in the docs, inline: in the test
		}
		if tv, ok := test[k]; !ok || tv != v {
			t.Errorf("docs/postfix.md (B): %s = %s, but the test uses %s = %s", k, v, k, tv)
		}
	}
	if _, ok := quoted["content_filter"]; !ok {
		t.Error("docs/postfix.md (B) does not quote content_filter")
	}
	masterDoc := lines(docBlock(t, "<!-- master.cf of smtpd/postfix_filter_test.go (TestPostfixDocMatchesTest) -->"))
	masterTest := lines(strings.ReplaceAll(postfixFilterMaster, "%[1]s", "10026"))
	if strings.Join(masterDoc, "\n") != strings.Join(masterTest, "\n") {
		t.Errorf("docs/postfix.md (B) master.cf differs from the test's:\n%s\n---\n%s", strings.Join(masterDoc, "\n"), strings.Join(masterTest, "\n"))
	}
}

// docBlock returns the fenced block that follows marker in docs/postfix.md.
func docBlock(t *testing.T, marker string) string {
	t.Helper()
	b, err := os.ReadFile("../docs/postfix.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, marker)
	if i < 0 {
		t.Fatalf("docs/postfix.md lacks the marker %s", marker)
	}
	block := doc[i+len(marker):]
	block = block[strings.Index(block, "```")+3:]
	block = block[strings.Index(block, "\n")+1:]
	return block[:strings.Index(block, "```")]
}

// lines returns the non-comment lines of a master.cf text with their white
// space normalized (leading indentation kept as one space).
func lines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "#") || strings.TrimSpace(l) == "" {
			continue
		}
		n := strings.Join(strings.Fields(l), " ")
		if l[0] == ' ' || l[0] == '\t' {
			n = " " + n
		}
		out = append(out, n)
	}
	return out
}

package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection enforces DESIGN.md's layering with `go list`:
// sanitize imports nothing of ours but its detect package; formats import
// only the core (and the shared text and HTML converters, and for ODF and
// the xlsx rebuild the OOXML zip reader); policy imports the
// core; quarantine imports nothing of ours; only cmd/mugai wires everything.
// The shared test helpers (sanitize/sanitizetest, smtpd/smtpdtest) use the
// core only, and only tests import them: `go list` Imports holds no test
// imports, so any import of them seen here is production code's.
func TestDependencyDirection(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	const mod = "github.com/mugai-project/mugai/"
	out, err := exec.Command(goCmd, "list", "-json", "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := func(pkg, imp string) bool {
		if imp == "sanitize/sanitizetest" || imp == "smtpd/smtpdtest" {
			return false
		}
		switch {
		case strings.HasPrefix(pkg, "sanitize/detect"):
			return false
		case pkg == "sanitize":
			return imp == "sanitize/detect"
		case pkg == "sanitize/sanitizetest":
			return imp == "sanitize" || imp == "sanitize/detect"
		case strings.HasPrefix(pkg, "formats/"):
			// A format may use its own subpackages (formats/mail/mailhdr),
			// and the zip packages (ODF, the xlsx rebuild) share the OOXML
			// package's checked zip reader and bounded XML tokenizer.
			return imp == "sanitize" || imp == "sanitize/detect" || imp == "formats/text" || imp == "formats/html" ||
				strings.HasPrefix(imp, pkg+"/") ||
				((pkg == "formats/odf" || pkg == "formats/xlsx") && imp == "formats/ooxml")
		case strings.HasPrefix(pkg, "scan/"):
			// Scanner clients implement sanitize.Scanner; the engine does
			// not import them.
			return imp == "sanitize" || imp == "sanitize/detect"
		case pkg == "policy":
			return imp == "sanitize" || imp == "sanitize/detect"
		case pkg == "metrics":
			// Metrics read reports; the services call it, not the reverse.
			return imp == "sanitize"
		case pkg == "quarantine" || strings.HasPrefix(pkg, "quarantine/"):
			// Backends and the conformance suite use the core only.
			return imp == "quarantine"
		case pkg == "smtpd" || pkg == "filedrop":
			// The relay writes its own notices with the shared header codec.
			return imp == "sanitize" || imp == "sanitize/detect" || imp == "policy" || imp == "quarantine" ||
				imp == "formats/mail/mailhdr"
		case strings.HasPrefix(pkg, "cmd/"), strings.HasPrefix(pkg, "testdata/"):
			return true
		}
		return false
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkg := strings.TrimPrefix(p.ImportPath, mod)
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			imp = strings.TrimPrefix(imp, mod)
			if pkg == imp || (pkg == "formats/html" && imp == "formats/html") {
				continue
			}
			if !allowed(pkg, imp) {
				t.Errorf("%s must not import %s", pkg, imp)
			}
		}
	}
}

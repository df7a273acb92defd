package detect

import "testing"

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		declared, detected Kind
		want               Verdict
	}{
		// Same.
		{Unknown, PE, Same},
		{Unknown, Text, Same},
		{PDF, PDF, Same},
		{Text, CSV, Same},
		{CSV, Text, Same},
		{PE, PE, Same},

		// Dangerous: the content is executable or active and the name says
		// otherwise.
		{PDF, PE, Dangerous},
		{JPEG, PE, Dangerous},
		{DOCX, DOCM, Dangerous},
		{XLSX, XLSM, Dangerous},
		{XLSX, XLSB, Dangerous},
		{PPTX, PPTM, Dangerous},
		{Text, HTML, Dangerous},
		{Text, Script, Dangerous},
		{Text, SVG, Dangerous},
		{ZIP, JAR, Dangerous},
		{HTML, HTA, Dangerous},
		{XML, SVG, Dangerous},
		{PNG, SVG, Dangerous},
		{DOC, MSI, Dangerous},
		{DiskImage, DiskImage, Same},
		{ZIP, DiskImage, Dangerous},
		{PE, Script, Dangerous}, // both executable, still not what it says
		{Script, HTML, Dangerous},
		{DOCM, XLSM, Dangerous},
		{PDF, LNK, Dangerous},
		{Text, OneNote, Dangerous},

		// Dangerous: a higher class than declared.
		{PDF, ZIP, Dangerous},
		{JPEG, SevenZ, Dangerous},
		{Text, EML, Harmless},
		{DOCX, ZIP, Dangerous},
		{JPEG, Binary, Dangerous},
		{Text, Binary, Dangerous},

		// Harmless.
		{JPEG, PNG, Harmless},
		{DOCX, XLSX, Harmless},
		{DOC, DOCX, Harmless},
		{ZIP, DOCX, Harmless},
		{Text, PDF, Harmless},
		{JPEG, PDF, Harmless},
		{PNG, DOC, Harmless},
		{DOCM, DOCX, Harmless},
		{HTML, Text, Harmless},
		{PE, Text, Harmless},
		{PDF, Binary, Harmless},
		{PDF, Empty, Same}, // zero bytes carry nothing
		{ZIP, GZIP, Harmless},
		{EML, Text, Harmless},
		{SVG, XML, Harmless},
		{HTML, EML, Harmless},

		// Fail closed on kinds Detect never returns.
		{PDF, Kind("weird"), Dangerous},
	} {
		if got := Compare(tc.declared, tc.detected); got != tc.want {
			t.Errorf("Compare(%q, %q) = %v, want %v", tc.declared, tc.detected, got, tc.want)
		}
	}
}

// TestCompareClassRule checks the general rules over every pair of kinds.
func TestCompareClassRule(t *testing.T) {
	for _, declared := range Kinds() {
		for _, detected := range Kinds() {
			got := Compare(declared, detected)
			dc, kc := ClassOf(declared), ClassOf(detected)
			switch {
			case declared == detected || alias(declared) == alias(detected) || detected == Empty:
				if got != Same {
					t.Errorf("Compare(%q, %q) = %v, want same", declared, detected, got)
				}
			case kc == ClassExecutable || kc == ClassActive:
				if got != Dangerous {
					t.Errorf("Compare(%q, %q) = %v, want dangerous (active or executable content)", declared, detected, got)
				}
			case kc < dc || kc == dc:
				if got != Harmless {
					t.Errorf("Compare(%q, %q) = %v, want harmless (tamer content)", declared, detected, got)
				}
			}
		}
	}
}

func TestVerdictString(t *testing.T) {
	for v, want := range map[Verdict]string{Same: "same", Harmless: "harmless", Dangerous: "dangerous", 9: "invalid"} {
		if got := v.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", v, got, want)
		}
	}
}

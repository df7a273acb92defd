package detect

// Verdict is the result of comparing a declared kind with a detected one.
type Verdict uint8

// Verdicts.
const (
	Same      Verdict = iota // they agree, or nothing was declared
	Harmless                 // they differ, but the difference cannot hide active content (a .jpg that is a PNG)
	Dangerous                // the name hides what the content can do (a PE named .pdf, a docm named .docx)
)

// String returns "same", "harmless" or "dangerous".
func (v Verdict) String() string {
	switch v {
	case Same:
		return "same"
	case Harmless:
		return "harmless"
	case Dangerous:
		return "dangerous"
	}
	return "invalid"
}

// Compare judges a declared kind (from Declared) against a detected one
// (from Detect). The rules, in order:
//
//  1. Same when declared is Unknown, when both are equal, or when both are
//     names of one thing (Text and CSV).
//  2. Dangerous when detected is not a kind Detect returns: fail closed.
//  3. Dangerous when detected is of ClassExecutable or ClassActive and
//     differs from declared: a PE named .pdf, a docm named .docx, HTML named
//     .txt, a script named .txt, a JAR named .zip, an HTA named .html. The
//     name would make a person or a program treat it as something tamer.
//  4. Dangerous when detected's class is higher than declared's (ClassOf),
//     with one exception: a passive kind declared (text, image) and a
//     document detected, other than Binary, is Harmless, because the
//     document's sanitizer rebuilds it whatever it was called (a .txt that
//     is a PDF). So a .pdf that is a zip and a .jpg that is a 7z are
//     Dangerous; a .jpg that is unrecognisable bytes is
//     Dangerous too.
//     A mail (EML) under a text or document name is the other exception:
//     the mail sanitizer rebuilds it as text and names the output .eml.
//  5. Harmless otherwise: same class or a tamer one (a .jpg that is a PNG, a
//     .docx that is an XLSX, a .doc that is a DOCX, a .zip that is a DOCX,
//     an .exe that is text). The sanitizer of the detected kind handles it.
func Compare(declared, detected Kind) Verdict {
	if declared == Unknown || declared == detected || alias(declared) == alias(detected) {
		return Same
	}
	if detected == Empty {
		return Same // zero bytes carry nothing, whatever the name says
	}
	if !Known(detected) {
		return Dangerous
	}
	dc, kc := ClassOf(declared), ClassOf(detected)
	switch {
	case kc == ClassExecutable, kc == ClassActive:
		return Dangerous
	case kc > dc && dc == ClassPassive && kc == ClassDocument && detected != Binary:
		return Harmless
	case detected == EML && dc <= ClassDocument:
		// A mail saved as .txt or .msg: the mail sanitizer turns it into
		// text whatever it was called, and the output is named .eml.
		return Harmless
	case kc > dc:
		return Dangerous
	}
	return Harmless
}

// alias maps kinds that name the same thing to one representative.
func alias(k Kind) Kind {
	if k == CSV {
		return Text
	}
	return k
}

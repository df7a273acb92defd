package rtf

import "strings"

// Rule IDs this package emits.
const (
	RuleObject      = "rtf.object"      // embedded or linked OLE objects (\object, \objdata, …)
	RuleDDE         = "rtf.dde"         // DDE and DDEAUTO fields
	RuleExternal    = "rtf.external"    // fields and destinations that fetch outside content
	RuleField       = "rtf.field"       // fields that run commands (MACROBUTTON)
	RuleTemplate    = "rtf.template"    // attached template (\*\template)
	RuleDestination = "rtf.destination" // other destinations not on the allow-list
	RuleStructure   = "rtf.structure"   // unclosed groups closed, data after the end dropped
	RuleText        = "rtf.text"        // converted to plain text
)

// starAllowed lists the ignorable destinations (\*\word) that carry only
// text or formatting and are kept. Every other \* destination is dropped:
// a reader that does not know one skips it, so dropping it changes nothing a
// user sees.
var starAllowed = map[string]bool{
	// document and font tables, styles, lists, revisions
	"fldinst": true, "generator": true, "panose": true, "falt": true, "fname": true,
	"listtable": true, "listoverridetable": true, "listpicture": true, "rsidtbl": true,
	"pgdsctbl": true, "pgdsc": true, "defchp": true, "defpap": true, "latentstyles": true,
	"lsdlockedexcept": true, "revtbl": true, "protusertbl": true, "cs": true, "ts": true,
	"wgrffmtfilter": true, "oldcprops": true, "oldpprops": true, "oldtprops": true,
	"oldsprops": true, "fchars": true, "lchars": true, "nesttableprops": true,
	"pnseclvl": true, "pn": true, "pntxta": true, "pntxtb": true, "ud": true,
	// document information
	"company": true, "manager": true, "category": true, "userprops": true,
	"propname": true, "staticval": true,
	// bookmarks, annotations, index and table-of-contents entries
	"bkmkstart": true, "bkmkend": true, "annotation": true, "atnid": true,
	"atnauthor": true, "atndate": true, "atnicn": true, "atnref": true,
	"atnparent": true, "atrfstart": true, "atrfend": true, "atntime": true,
	"xe": true, "tc": true, "tcn": true, "txe": true, "rxe": true, "bxe": true,
	// footnote separators
	"ftnsep": true, "ftnsepc": true, "ftncn": true, "aftnsep": true,
	"aftnsepc": true, "aftncn": true,
	// pictures and shapes (the shape text is text; the picture is an image)
	"shppict": true, "shpinst": true, "picprop": true, "blipuid": true,
	"background": true, "dptxbxtext": true, "defshp": true, "shptxt": true,
	// form fields (the entry and exit macros are not listed)
	"formfield": true, "ffname": true, "ffdeftext": true, "ffformat": true,
	"ffhelptext": true, "ffstattext": true, "ffl": true,
}

// starAllowedWord reports whether an ignorable destination is kept: the list
// above, and Office Math (\*\m… except \mhtmltag).
func starAllowedWord(w string) bool {
	if starAllowed[w] {
		return true
	}
	return len(w) > 1 && w[0] == 'm' && w != "mhtmltag"
}

// deniedWord returns the rule under which a control word makes the rest of
// its group go, or "" for a word that is kept. These are destinations that
// carry objects or outside references whether or not they are starred.
func deniedWord(w string) string {
	switch {
	case strings.HasPrefix(w, "obj"), w == "result", w == "oleclsid":
		return RuleObject
	case w == "nextfile":
		return RuleExternal
	case w == "template":
		return RuleTemplate
	case w == "datastore", w == "themedata", w == "colorschememapping", w == "fontemb",
		w == "fontfile", w == "datafield", w == "mhtmltag", w == "htmltag", w == "docvar", w == "xmlopen", w == "xmlattrvalue":
		return RuleDestination
	}
	return ""
}

// fieldRule returns the rule for a field instruction: DDE, includes and
// links, macro buttons. With all set, every word of the instruction counts
// (a nested field can compute the instruction); otherwise only the first.
func fieldRule(inst string, all bool) string {
	isLetter := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	for i := 0; i < len(inst); {
		if !isLetter(inst[i]) {
			i++
			continue
		}
		j := i
		for j < len(inst) && isLetter(inst[j]) {
			j++
		}
		if r := keywordRule(inst[i:j]); r != "" {
			return r
		}
		if !all {
			return ""
		}
		i = j
	}
	return ""
}

// keywordRule returns the rule of a field keyword, "" for a harmless one.
func keywordRule(w string) string {
	for _, k := range fieldKeywords {
		if strings.EqualFold(w, k.word) {
			return k.rule
		}
	}
	return ""
}

var fieldKeywords = []struct{ word, rule string }{
	{"DDE", RuleDDE}, {"DDEAUTO", RuleDDE},
	{"INCLUDETEXT", RuleExternal}, {"INCLUDEPICTURE", RuleExternal}, {"INCLUDE", RuleExternal},
	{"IMPORT", RuleExternal}, {"LINK", RuleExternal},
	{"MACROBUTTON", RuleField},
}

// hiddenDest lists destinations whose content is not document text, for
// text conversion.
var hiddenDest = map[string]bool{
	"fonttbl": true, "colortbl": true, "stylesheet": true, "info": true, "pict": true,
	"listtable": true, "listoverridetable": true, "fldinst": true, "sp": true,
	"nonshppict": true, "revtbl": true, "rsidtbl": true, "latentstyles": true,
	"xmlnstbl": true, "pgdsctbl": true, "listtext": false, "pntext": false,
	"bkmkstart": true, "bkmkend": true, "header": true, "headerl": true,
	"headerr": true, "headerf": true, "footer": true, "footerl": true,
	"footerr": true, "footerf": true, "ftnsep": true, "ftnsepc": true,
	"aftnsep": true, "aftnsepc": true, "ftncn": true, "aftncn": true,
}

// textSymbols maps control words to the text they stand for.
var textSymbols = map[string]string{
	"par": "\n", "line": "\n", "sect": "\n", "page": "\n", "row": "\n",
	"tab": "\t", "cell": "\t", "nestcell": "\t",
	"emdash": "\u2014", "endash": "\u2013", "bullet": "\u2022",
	"lquote": "\u2018", "rquote": "\u2019", "ldblquote": "\u201C", "rdblquote": "\u201D",
	"emspace": " ", "enspace": " ", "qmspace": " ",
}

// charsetCodepage maps \fcharsetN to a Windows code page.
var charsetCodepage = map[int64]int{
	0: 1252, 128: 932, 129: 949, 134: 936, 136: 950, 161: 1253, 162: 1254,
	163: 1258, 177: 1255, 178: 1256, 186: 1257, 204: 1251, 222: 874, 238: 1250,
}

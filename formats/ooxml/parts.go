package ooxml

import (
	"path"
	"strings"
)

// Rule IDs this package emits.
const (
	RuleActiveX    = "ooxml.activex"    // ActiveX controls and form-control properties
	RuleAltChunk   = "ooxml.altchunk"   // altChunk imports (MHT, HTML, RTF)
	RuleBomb       = "ooxml.bomb"       // an entry expands beyond the ratio limit
	RuleCustomUI   = "ooxml.customui"   // ribbon customisations and their callbacks, toolbars, key maps
	RuleDDE        = "ooxml.dde"        // DDE fields and formulas
	RuleDTD        = "ooxml.dtd"        // DTD or entity declaration in a part
	RuleDuplicate  = "ooxml.duplicate"  // two entries with the same name
	RuleExternal   = "ooxml.external"   // external references, links, connections, query tables
	RuleHyperlink  = "ooxml.hyperlink"  // hyperlinks removed by option or scheme
	RuleMacroSheet = "ooxml.macrosheet" // Excel 4.0 macro sheets, dialog sheets, auto-run names
	RuleMacroType  = "ooxml.macrotype"  // a macro-enabled content type turned into its regular twin
	RuleOLE        = "ooxml.ole"        // embedded OLE objects and packages
	RulePart       = "ooxml.part"       // a part not on the allow-list or not referenced
	RulePath       = "ooxml.path"       // unsafe entry name (traversal, absolute, backslash)
	RuleSignature  = "ooxml.signature"  // digital signatures (cannot survive a rewrite)
	RuleTemplate   = "ooxml.template"   // attached (remote) templates
	RuleVBA        = "ooxml.vba"        // VBA projects, their data and signatures, macro assignments
	RuleZip        = "ooxml.zip"        // local headers and central directory disagree, overlapping entries
)

// mainTypes maps the content type of every main part we accept (lower case)
// to the content type written in the output: macro-enabled documents,
// templates, add-ins and slide shows become the regular document.
var mainTypes = map[string]string{
	ctDocx: ctDocx,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": ctDocx,
	"application/vnd.ms-word.document.macroenabled.main+xml":                           ctDocx,
	"application/vnd.ms-word.template.macroenabledtemplate.main+xml":                   ctDocx,

	ctXlsx: ctXlsx,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": ctXlsx,
	"application/vnd.ms-excel.sheet.macroenabled.main+xml":                          ctXlsx,
	"application/vnd.ms-excel.template.macroenabled.main+xml":                       ctXlsx,
	"application/vnd.ms-excel.addin.macroenabled.main+xml":                          ctXlsx,

	ctPptx: ctPptx,
	"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml":  ctPptx,
	"application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml": ctPptx,
	"application/vnd.ms-powerpoint.presentation.macroenabled.main+xml":                ctPptx,
	"application/vnd.ms-powerpoint.template.macroenabled.main+xml":                    ctPptx,
	"application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml":                   ctPptx,
	"application/vnd.ms-powerpoint.addin.macroenabled.main+xml":                       ctPptx,
}

const (
	ctDocx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
	ctXlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
	ctPptx = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
	ctRels = "application/vnd.openxmlformats-package.relationships+xml"
)

// deniedTypes maps content types (lower case) of parts that are always
// removed to the rule that explains why.
var deniedTypes = map[string]string{
	"application/vnd.ms-office.vbaproject":                                         RuleVBA,
	"application/vnd.ms-office.vbaprojectsignature":                                RuleVBA,
	"application/vnd.ms-office.vbaprojectsignatureagile":                           RuleVBA,
	"application/vnd.ms-office.vbaprojectsignaturev3":                              RuleVBA,
	"application/vnd.ms-word.vbadata+xml":                                          RuleVBA,
	"application/vnd.ms-office.activex+xml":                                        RuleActiveX,
	"application/vnd.ms-office.activex":                                            RuleActiveX,
	"application/vnd.ms-excel.controlproperties+xml":                               RuleActiveX,
	"application/vnd.openxmlformats-officedocument.oleobject":                      RuleOLE,
	"application/vnd.openxmlformats-officedocument.activex":                        RuleActiveX,
	"application/vnd.ms-excel.macrosheet+xml":                                      RuleMacroSheet,
	"application/vnd.ms-excel.intlmacrosheet+xml":                                  RuleMacroSheet,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.dialogsheet+xml":  RuleMacroSheet,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.externallink+xml": RuleExternal,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.connections+xml":  RuleExternal,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.querytable+xml":   RuleExternal,
	"application/vnd.ms-office.webextension+xml":                                   RuleExternal,
	"application/vnd.ms-office.webextensiontaskpanes+xml":                          RuleExternal,
	"application/vnd.ms-word.keymapcustomizations+xml":                             RuleCustomUI,
	"application/vnd.ms-word.attachedtoolbars":                                     RuleCustomUI,
	"application/vnd.ms-excel.attachedtoolbars":                                    RuleCustomUI,
	"application/vnd.openxmlformats-package.digital-signature-origin":              RuleSignature,
	"application/vnd.openxmlformats-package.digital-signature-xmlsignature+xml":    RuleSignature,
	"application/vnd.openxmlformats-package.digital-signature-certificate":         RuleSignature,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":      RuleOLE,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":            RuleOLE,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation":    RuleOLE,
}

// deniedNames maps part names (lower case, by prefix or base name) to rules:
// these are removed whatever content type they claim.
func deniedName(name string) string {
	n := lowerASCII(name)
	base := path.Base(n)
	switch {
	case base == "vbaproject.bin", base == "vbadata.xml", strings.HasPrefix(base, "vbaprojectsignature"):
		return RuleVBA
	case strings.Contains(n, "activex/"):
		return RuleActiveX
	case strings.HasPrefix(base, "oleobject"), strings.Contains(n, "embeddings/"):
		return RuleOLE
	case strings.Contains(n, "macrosheets/"), strings.Contains(n, "dialogsheets/"):
		return RuleMacroSheet
	case strings.Contains(n, "externallinks/"), strings.Contains(n, "querytables/"), base == "connections.xml":
		return RuleExternal
	case strings.HasPrefix(n, "customui/"), base == "customui.xml", base == "customui14.xml",
		base == "customizations.xml", base == "attachedtoolbars.bin":
		return RuleCustomUI
	case strings.HasPrefix(n, "_xmlsignatures/"):
		return RuleSignature
	case strings.Contains(n, "afchunk"):
		return RuleAltChunk
	}
	return ""
}

// allowedType reports whether a part of content type ct (lower case) may be
// copied to the output. It is the allow-list: Office XML vocabularies,
// images, media, fonts, printer settings and custom XML.
func allowedType(ct string) bool {
	if _, ok := deniedTypes[ct]; ok {
		return false
	}
	if _, ok := mainTypes[ct]; ok {
		return true
	}
	switch {
	case strings.HasPrefix(ct, "application/vnd.openxmlformats-officedocument.") && strings.HasSuffix(ct, "+xml"),
		strings.HasPrefix(ct, "application/vnd.openxmlformats-package.core-properties+xml"),
		ct == ctRels,
		strings.HasPrefix(ct, "application/vnd.ms-office.") && strings.HasSuffix(ct, "+xml"),
		strings.HasPrefix(ct, "application/vnd.ms-word.") && strings.HasSuffix(ct, "+xml"),
		strings.HasPrefix(ct, "application/vnd.ms-excel.") && strings.HasSuffix(ct, "+xml"),
		strings.HasPrefix(ct, "application/vnd.ms-powerpoint.") && strings.HasSuffix(ct, "+xml"),
		ct == "application/vnd.openxmlformats-officedocument.vmldrawing",
		ct == "application/vnd.openxmlformats-officedocument.spreadsheetml.printersettings",
		ct == "application/vnd.openxmlformats-officedocument.wordprocessingml.printersettings",
		ct == "application/vnd.openxmlformats-officedocument.presentationml.printersettings",
		ct == "application/vnd.openxmlformats-officedocument.obfuscatedfont",
		ct == "application/x-fontdata", ct == "application/x-font-ttf", ct == "application/x-font",
		strings.HasPrefix(ct, "font/"),
		strings.HasPrefix(ct, "image/"),
		strings.HasPrefix(ct, "audio/"), strings.HasPrefix(ct, "video/"),
		ct == "application/xml", ct == "text/xml":
		return true
	}
	return false
}

// isXMLType reports whether parts of content type ct are XML and are
// parsed and rewritten (rather than copied).
func isXMLType(ct string) bool {
	return strings.HasSuffix(ct, "+xml") || ct == "application/xml" || ct == "text/xml" ||
		ct == "application/vnd.openxmlformats-officedocument.vmldrawing"
}

// relRule maps a relationship type to the rule under which the
// relationship (and its internal target) is removed, or "".
func relRule(typ string) string {
	t := lowerASCII(typ)
	last := t[strings.LastIndexByte(t, '/')+1:]
	switch {
	case last == "vbaproject", last == "wordvbadata", strings.HasPrefix(last, "vbaprojectsignature"):
		return RuleVBA
	case last == "control", last == "activexcontrolbinary", last == "ctrlprop":
		return RuleActiveX
	case last == "oleobject", last == "package":
		return RuleOLE
	case last == "xlmacrosheet", last == "xlintlmacrosheet", last == "dialogsheet":
		return RuleMacroSheet
	case last == "externallink", last == "externallinkpath", last == "connections", last == "querytable",
		last == "subdocument", last == "frame", last == "recipientdata", last == "datasource",
		last == "mailmergesource", last == "mailmergeheadersource", last == "webextension",
		last == "webextensiontaskpanes", last == "oleobjectlink", last == "xlexternallinkpath", last == "xlpathmissing",
		last == "xlstartup", last == "xlalternatestartup", last == "xllibrary":
		return RuleExternal
	case last == "attachedtemplate":
		return RuleTemplate
	case last == "extensibility", last == "keymapcustomizations", last == "attachedtoolbars":
		return RuleCustomUI
	case last == "afchunk":
		return RuleAltChunk
	case strings.Contains(t, "/digital-signature/"):
		return RuleSignature
	}
	return ""
}

// isHyperlinkRel reports whether typ is the hyperlink relationship type.
func isHyperlinkRel(typ string) bool {
	t := lowerASCII(typ)
	return strings.HasSuffix(t, "/hyperlink")
}

// dropElements are elements removed with their content wherever they
// appear, by local name, with the rule that explains it.
var dropElements = map[string]string{
	"altChunk":           RuleAltChunk,
	"OLEObject":          RuleOLE,
	"oleObj":             RuleOLE,
	"oleObject":          RuleOLE,
	"oleObjects":         RuleOLE,
	"control":            RuleActiveX,
	"controls":           RuleActiveX,
	"subDoc":             RuleExternal,
	"externalReferences": RuleExternal,
	"externalReference":  RuleExternal,
	"attachedTemplate":   RuleTemplate,
	"FmlaMacro":          RuleVBA,
	"webPublishItems":    RuleExternal,
	"mailMerge":          RuleExternal,
}

// dropIfDangling are elements removed with their content when a
// relationship they reference was removed (or never existed).
var dropIfDangling = map[string]bool{
	"sheet": true, "externalData": true, "hyperlink": true, "hlinkClick": true,
	"hlinkHover": true, "hlinkMouseOver": true, "snd": true, "wavAudioFile": true,
	"videoFile": true, "audioFile": true, "quickTimeFile": true,
}

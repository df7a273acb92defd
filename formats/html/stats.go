package html

import (
	"strconv"

	"github.com/mugai-project/mugai/sanitize"
)

// Rule IDs this package emits; all are listed in sanitize.RuleTable.
const (
	RuleScript        = "html.script"         // <script> elements (Removed)
	RuleStyle         = "html.style"          // <style> elements (Recorded)
	RuleEmbed         = "html.embed"          // iframe, frame, object, embed, applet (Removed)
	RuleEvent         = "html.event"          // on* attributes (Removed)
	RuleForm          = "html.form"           // form, input, button, select, textarea (Removed)
	RuleMetaRefresh   = "html.meta_refresh"   // <meta http-equiv=refresh> (Removed)
	RuleComment       = "html.comment"        // comments, also bogus ones (Recorded)
	RuleLink          = "html.link"           // links turned into text (Converted)
	RuleJavaScriptURL = "html.javascript_url" // link targets but http(s), ftp, mailto, tel, sms, fax, callto (Removed)
	RuleHidden        = "html.hidden"         // hidden content dropped (Removed)
	RuleTracking      = "html.tracking"       // tracking images dropped (Removed)
	RuleText          = "html.text"           // the HTML became text (Converted; the Sanitizer adds it)
	RuleBidi          = "text.bidi"           // bidi control characters dropped (Removed)
	RuleControl       = "text.control"        // control characters dropped (Removed)
	RuleInvalid       = "text.invalid"        // invalid UTF-8 replaced by U+FFFD (Cleaned)
	RuleCharset       = "text.charset"        // the Sanitizer decoded a legacy charset (Converted)
)

type rule uint8

// Rules in the order findings are reported.
const (
	rScript rule = iota
	rStyle
	rEmbed
	rEvent
	rForm
	rMetaRefresh
	rComment
	rLink
	rJavaScriptURL
	rHidden
	rTracking
	rBidi
	rControl
	rInvalid
	nRules
)

var ruleInfo = [nRules]struct {
	id        string
	action    sanitize.Action
	one, many string
}{
	rScript:        {RuleScript, sanitize.Removed, "script element", "script elements"},
	rStyle:         {RuleStyle, sanitize.Recorded, "style element", "style elements"},
	rEmbed:         {RuleEmbed, sanitize.Removed, "embedded object", "embedded objects"},
	rEvent:         {RuleEvent, sanitize.Removed, "event handler attribute", "event handler attributes"},
	rForm:          {RuleForm, sanitize.Removed, "form element", "form elements"},
	rMetaRefresh:   {RuleMetaRefresh, sanitize.Removed, "meta refresh", "meta refreshes"},
	rComment:       {RuleComment, sanitize.Recorded, "comment", "comments"},
	rLink:          {RuleLink, sanitize.Converted, "link", "links"},
	rJavaScriptURL: {RuleJavaScriptURL, sanitize.Removed, "active link target", "active link targets"},
	rHidden:        {RuleHidden, sanitize.Removed, "hidden element", "hidden elements"},
	rTracking:      {RuleTracking, sanitize.Removed, "tracking image", "tracking images"},
	rBidi:          {RuleBidi, sanitize.Removed, "bidi control character", "bidi control characters"},
	rControl:       {RuleControl, sanitize.Removed, "control character", "control characters"},
	rInvalid:       {RuleInvalid, sanitize.Cleaned, "invalid UTF-8 sequence", "invalid UTF-8 sequences"},
}

// Stats counts what one conversion removed or converted.
type Stats struct {
	n    [nRules]int
	line [nRules]int // input line of the first occurrence; 0 when unknown
}

func (s *Stats) add(r rule, line int) {
	if s.n[r] == 0 {
		s.line[r] = line
	}
	s.n[r]++
}

// Count returns how often the rule with ID id fired; 0 for IDs this package
// does not emit.
func (s *Stats) Count(id string) int {
	for r, ri := range ruleInfo {
		if ri.id == id {
			return s.n[r]
		}
	}
	return 0
}

// Findings returns one finding per rule that fired, in a fixed order, with
// the count in Detail and the input line of the first occurrence in Where.
// html.text is not included: the caller decides whether the result counts
// as a conversion.
func (s *Stats) Findings() []sanitize.Finding {
	var fs []sanitize.Finding
	for r, ri := range ruleInfo {
		n := s.n[r]
		if n == 0 {
			continue
		}
		noun := ri.many
		if n == 1 {
			noun = ri.one
		}
		f := sanitize.Finding{Rule: ri.id, Action: ri.action, Detail: strconv.Itoa(n) + " " + noun}
		if l := s.line[r]; l > 0 {
			f.Where = "line " + strconv.Itoa(l)
		}
		fs = append(fs, f)
	}
	return fs
}

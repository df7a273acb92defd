package mailhdr

import (
	"strings"
	"time"
)

// maxDateLen bounds how much of a Date value is looked at.
const maxDateLen = 256

// Date parses a date-time (RFC 5322 §3.3) leniently and reports whether it
// found one. Accepted besides the standard form: a missing or any day name,
// missing seconds, fractional seconds, two-digit years (< 50 are 20xx, the
// rest 19xx, RFC 5322 §4.3) and three-digit years (+1900), month names in
// full, the obsolete zones UT, GMT, EST…PDT and the military letters (taken
// as -0000, §4.3), common names such as JST, KST, UTC, CET, "+09:00",
// "GMT+0900", a zone in a comment "(JST)" when there is no other, 12-hour
// times with AM/PM, asctime ("Mon Jan  2 15:04:05 2006"), ISO 8601
// ("2006-01-02T15:04:05+09:00") and numeric dates ("2006/01/02"). A date
// without a time is at midnight; one without a zone is taken as UTC.
//
// The time is returned in the zone the value gives (a fixed offset).
// Fields out of range (month 13, 31 February, hour 24, minute 60, zone
// offsets beyond ±23:59, years before 1900) make it fail.
func Date(raw string) (time.Time, bool) {
	s := raw
	if len(s) > maxDateLen {
		s = s[:maxDateLen]
	}
	s = unfold(s)
	// A zone name in a comment is used only if there is no other zone.
	var commentZone []string
	for {
		i := strings.IndexByte(s, '(')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], ')')
		if j < 0 {
			s = s[:i]
			break
		}
		commentZone = append(commentZone, strings.Fields(s[i+1:i+j])...)
		s = s[:i] + " " + s[i+j+1:]
	}
	var d dateParts
	d.day, d.month, d.year = -1, -1, -1
	d.hour, d.min, d.sec = -1, 0, 0
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' }) {
		if !d.token(tok) {
			return time.Time{}, false
		}
	}
	if !d.hasZone {
		for _, z := range commentZone {
			if off, ok := zoneName(strings.ToLower(z)); ok {
				d.zone, d.hasZone = off, true
				break
			}
		}
	}
	return d.time()
}

type dateParts struct {
	day, month, year int
	yearDigits       int
	nums             []string
	hour, min, sec   int
	pm, am           bool
	zone             int // seconds east of UTC
	hasZone          bool
}

var monthNames = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

var dayNames = [...]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// token takes one whitespace-separated token; false means garbage that
// makes the whole value unusable.
func (d *dateParts) token(tok string) bool {
	tok = strings.TrimSuffix(tok, ".")
	if tok == "" {
		return true
	}
	c := tok[0]
	switch {
	case c == '+' || c == '-':
		off, ok := numericZone(tok)
		if !ok {
			return false
		}
		d.zone, d.hasZone = off, true
		return true
	case isDigit(c):
		return d.numeric(tok)
	case isAlpha(c):
		return d.word(strings.ToLower(tok))
	}
	return true // stray punctuation
}

func (d *dateParts) word(w string) bool {
	if len(w) >= 3 {
		for i, m := range monthNames {
			if strings.HasPrefix(w, m) && (len(w) == 3 || strings.HasPrefix(longMonths[i], w)) {
				if d.month < 0 {
					d.month = i + 1
				}
				return true
			}
		}
		for _, n := range dayNames {
			if strings.HasPrefix(w, n) {
				return true
			}
		}
	}
	switch w {
	case "am":
		d.am = true
		return true
	case "pm":
		d.pm = true
		return true
	}
	if off, ok := zoneName(w); ok {
		if !d.hasZone {
			d.zone, d.hasZone = off, true
		}
		return true
	}
	// "GMT+0900", "UTC+9"
	for _, p := range []string{"gmt", "utc", "ut"} {
		if rest, ok := strings.CutPrefix(w, p); ok && rest != "" && (rest[0] == '+' || rest[0] == '-') {
			off, ok := numericZone(rest)
			if !ok {
				return false
			}
			d.zone, d.hasZone = off, true
			return true
		}
	}
	return true // unknown words are ignored
}

var longMonths = [...]string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}

// numeric takes a token that starts with a digit: a time, a numeric or ISO
// date, or a plain number.
func (d *dateParts) numeric(tok string) bool {
	// ISO 8601: 2006-01-02T15:04:05+09:00
	if i := strings.IndexAny(tok, "Tt"); i > 0 && strings.Count(tok[:i], "-") == 2 {
		return d.numeric(tok[:i]) && d.numeric(tok[i+1:])
	}
	if strings.IndexByte(tok, ':') >= 0 {
		return d.clock(tok)
	}
	if strings.ContainsAny(tok, "/-") {
		parts := strings.FieldsFunc(tok, func(r rune) bool { return r == '/' || r == '-' })
		if len(parts) == 3 && allDigits(parts[0]) && allDigits(parts[1]) && allDigits(parts[2]) {
			a, b, c := atoi(parts[0]), atoi(parts[1]), atoi(parts[2])
			switch {
			case len(parts[0]) >= 3: // 2006/01/02
				d.setYear(parts[0])
				d.month, d.day = b, c
			case a > 12: // 31/12/2006
				d.day, d.month = a, b
				d.setYear(parts[2])
			default: // 12/31/2006
				d.month, d.day = a, b
				d.setYear(parts[2])
			}
			return true
		}
		// 02-Jan-2006
		for _, p := range parts {
			if !d.token(p) {
				return false
			}
		}
		return true
	}
	if !allDigits(tok) {
		// "2nd", "15h": ignore
		return true
	}
	d.nums = append(d.nums, tok)
	return len(d.nums) <= 4
}

// clock parses hh:mm[:ss[.fff]] with an optional zone glued on.
func (d *dateParts) clock(tok string) bool {
	if i := strings.IndexAny(tok, "+-Zz"); i > 0 {
		z := tok[i:]
		tok = tok[:i]
		if z == "Z" || z == "z" {
			d.zone, d.hasZone = 0, true
		} else {
			off, ok := numericZone(z)
			if !ok {
				return false
			}
			d.zone, d.hasZone = off, true
		}
	}
	if i := strings.IndexByte(tok, '.'); i >= 0 {
		tok = tok[:i]
	}
	parts := strings.Split(tok, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if !allDigits(p) || len(p) > 2 {
			return false
		}
	}
	d.hour, d.min = atoi(parts[0]), atoi(parts[1])
	if len(parts) == 3 {
		d.sec = atoi(parts[2])
	}
	return true
}

func (d *dateParts) setYear(s string) {
	d.year, d.yearDigits = atoi(s), len(s)
}

// numericZone parses +hhmm, +hh:mm or +hh (and a one-digit +h).
func numericZone(z string) (int, bool) {
	if len(z) < 2 {
		return 0, false
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	z = strings.ReplaceAll(z[1:], ":", "")
	if !allDigits(z) {
		return 0, false
	}
	var h, m int
	switch len(z) {
	case 1, 2:
		h = atoi(z)
	case 4:
		h, m = atoi(z[:2]), atoi(z[2:])
	case 3:
		h, m = atoi(z[:1]), atoi(z[1:])
	default:
		return 0, false
	}
	if h > 23 || m > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60), true
}

// zoneName returns the offset of a zone abbreviation.
func zoneName(w string) (int, bool) {
	const h = 3600
	switch w {
	case "ut", "utc", "gmt", "z", "zulu", "wet":
		return 0, true
	case "est":
		return -5 * h, true
	case "edt":
		return -4 * h, true
	case "cst":
		return -6 * h, true
	case "cdt":
		return -5 * h, true
	case "mst":
		return -7 * h, true
	case "mdt":
		return -6 * h, true
	case "pst":
		return -8 * h, true
	case "pdt":
		return -7 * h, true
	case "jst", "kst":
		return 9 * h, true
	case "cet", "met", "bst", "west":
		return 1 * h, true
	case "cest", "mest", "eet":
		return 2 * h, true
	case "eest", "msk":
		return 3 * h, true
	case "hkt", "sgt", "awst":
		return 8 * h, true
	case "aest":
		return 10 * h, true
	case "nzst":
		return 12 * h, true
	}
	if len(w) == 1 && w[0] >= 'a' && w[0] <= 'z' && w[0] != 'j' {
		return 0, true // military zones: RFC 5322 §4.3 says -0000
	}
	return 0, false
}

func (d *dateParts) time() (time.Time, bool) {
	for _, n := range d.nums {
		v := atoi(n)
		switch {
		case d.year < 0 && (len(n) >= 3 || v > 31):
			d.setYear(n)
		case d.day < 0:
			d.day = v
		case d.year < 0:
			d.setYear(n)
		case d.month < 0 && v >= 1 && v <= 12:
			d.month = v
		}
	}
	if d.day < 0 || d.month < 0 || d.year < 0 {
		return time.Time{}, false
	}
	y := d.year
	switch d.yearDigits {
	case 1, 2:
		if y < 50 {
			y += 2000
		} else {
			y += 1900
		}
	case 3:
		y += 1900
	}
	hour := d.hour
	if hour < 0 {
		hour, d.min, d.sec = 0, 0, 0
	}
	if d.pm && hour < 12 {
		hour += 12
	} else if d.am && hour == 12 {
		hour = 0
	}
	sec := d.sec
	if sec == 60 {
		sec = 59 // leap second
	}
	if y < 1900 || y > 9999 || d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31 ||
		hour > 23 || d.min > 59 || sec > 59 {
		return time.Time{}, false
	}
	loc := time.UTC
	if d.zone != 0 {
		loc = time.FixedZone("", d.zone)
	}
	t := time.Date(y, time.Month(d.month), d.day, hour, d.min, sec, 0, loc)
	if t.Day() != d.day {
		return time.Time{}, false // 31 February
	}
	return t, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// atoi converts a short string of digits (checked by the caller).
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s) && i < 9; i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

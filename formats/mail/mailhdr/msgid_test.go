package mailhdr

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMessageIDs(t *testing.T) {
	long := "<" + strings.Repeat("a", 986) + "@b>"
	tooLong := "<" + strings.Repeat("a", 987) + "@b>"
	for _, tc := range []struct {
		raw  string
		want []string
	}{
		{"<a@b>", []string{"<a@b>"}},
		{"  <20240101.123@mail.example.jp>  ", []string{"<20240101.123@mail.example.jp>"}},
		{"<a@b> <c@d>\r\n\t<e@[192.0.2.1]>", []string{"<a@b>", "<c@d>", "<e@[192.0.2.1]>"}},
		{"<a@b>,<c@d>", []string{"<a@b>", "<c@d>"}},
		{"<a@b> (comment <x@y>)", []string{"<a@b>", "<x@y>"}},
		{"Your message of Mon <a@b>", []string{"<a@b>"}},
		{"a@b", nil},
		{"<noat>", nil},
		{"<@b>", nil},
		{"<a@>", nil},
		{"<a b@c>", []string{"<ab@c>"}},
		{"<a@b\r\n c>", []string{"<a@bc>"}},
		{`<"quoted"@b>`, nil},
		{"<a@b", nil},
		{"<<a@b>", []string{"<a@b>"}},
		{"<a<b@c>", []string{"<b@c>"}},
		{"<日本@b>", nil},
		{"<a\x00@b>", nil},
		{"<OF12345678.9ABCDEF0-ON49257A1B.0012AB34-49257A1B.0012CD56@notes.example.jp>", []string{"<OF12345678.9ABCDEF0-ON49257A1B.0012AB34-49257A1B.0012CD56@notes.example.jp>"}},
		{long, []string{long}},
		{tooLong, nil},
		{"", nil},
	} {
		if got := MessageIDs(tc.raw); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("MessageIDs(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestEncodeMessageIDs(t *testing.T) {
	var ids []string
	for i := range 20 {
		ids = append(ids, "<"+strings.Repeat("x", i*3)+"id@example.jp>")
	}
	ids = append(ids, "bare@example.jp", "<bad>", "<a@b>\r\nBcc: x@y", "<x@y><z@w>")
	got := EncodeMessageIDs("References", ids)
	checkField(t, got, 78)
	back := MessageIDs(value(got))
	want := append(append([]string(nil), ids[:20]...), "<bare@example.jp>")
	if !reflect.DeepEqual(back, want) {
		t.Errorf("round trip:\n got %q\nwant %q", back, want)
	}
	if got := EncodeMessageIDs("In-Reply-To", []string{"<bad>"}); got != "" {
		t.Errorf("no valid id: %q", got)
	}
	if got := EncodeMessageIDs("Message-ID", []string{"<a@b>"}); got != "Message-ID: <a@b>\r\n" {
		t.Errorf("one id: %q", got)
	}
	long := "<" + strings.Repeat("a", 986) + "@b>"
	got = EncodeMessageIDs("Message-ID", []string{long})
	checkField(t, got, 998)
	if back := MessageIDs(value(got)); len(back) != 1 || back[0] != long {
		t.Errorf("long id: %q", got)
	}
}

func TestDate(t *testing.T) {
	jst := time.FixedZone("", 9*3600)
	utc := time.UTC
	for _, tc := range []struct {
		raw  string
		want time.Time
	}{
		{"Mon, 2 Jan 2006 15:04:05 -0700", time.Date(2006, 1, 2, 15, 4, 5, 0, time.FixedZone("", -7*3600))},
		{"Mon, 02 Jan 2006 15:04:05 +0900 (JST)", time.Date(2006, 1, 2, 15, 4, 5, 0, jst)},
		{"2 Jan 2006 15:04:05 +0900", time.Date(2006, 1, 2, 15, 4, 5, 0, jst)},
		{"Mon, 2 Jan 2006 15:04 +0900", time.Date(2006, 1, 2, 15, 4, 0, 0, jst)},
		{"Mon, 2 Jan 06 15:04:05 JST", time.Date(2006, 1, 2, 15, 4, 5, 0, jst)},
		{"Sat, 1 Jan 99 00:00:00 GMT", time.Date(1999, 1, 1, 0, 0, 0, 0, utc)},
		{"1 Jan 105 00:00:00 UT", time.Date(2005, 1, 1, 0, 0, 0, 0, utc)},
		{"Tue, 1 Jul 2003 10:52:37 EDT", time.Date(2003, 7, 1, 10, 52, 37, 0, time.FixedZone("", -4*3600))},
		{"Tue, 1 Jul 2003 10:52:37 PST", time.Date(2003, 7, 1, 10, 52, 37, 0, time.FixedZone("", -8*3600))},
		{"Tue, 1 Jul 2003 10:52:37 Z", time.Date(2003, 7, 1, 10, 52, 37, 0, utc)},
		{"Tue, 1 Jul 2003 10:52:37 A", time.Date(2003, 7, 1, 10, 52, 37, 0, utc)},
		{"Tue, 1 Jul 2003 10:52:37 +09:00", time.Date(2003, 7, 1, 10, 52, 37, 0, jst)},
		{"Tue, 1 Jul 2003 10:52:37 GMT+0900", time.Date(2003, 7, 1, 10, 52, 37, 0, jst)},
		{"Tue, 1 Jul 2003 10:52:37 (JST)", time.Date(2003, 7, 1, 10, 52, 37, 0, jst)},
		{"Tue, 1 Jul 2003 10:52:37", time.Date(2003, 7, 1, 10, 52, 37, 0, utc)},
		{"Tuesday, 1 July 2003 10:52:37 +0000", time.Date(2003, 7, 1, 10, 52, 37, 0, utc)},
		{"Tue, 1 Sept 2003 10:52:37 +0000", time.Date(2003, 9, 1, 10, 52, 37, 0, utc)},
		{"Mon Jan  2 15:04:05 2006", time.Date(2006, 1, 2, 15, 4, 5, 0, utc)},
		{"Mon Jan  2 15:04:05 JST 2006", time.Date(2006, 1, 2, 15, 4, 5, 0, jst)},
		{"2006-01-02T15:04:05+09:00", time.Date(2006, 1, 2, 15, 4, 5, 0, jst)},
		{"2006-01-02 15:04:05.123 +0900", time.Date(2006, 1, 2, 15, 4, 5, 0, jst)},
		{"2006/01/02 15:04:05 +0900", time.Date(2006, 1, 2, 15, 4, 5, 0, jst)},
		{"02-Jan-2006 15:04:05 +0900", time.Date(2006, 1, 2, 15, 4, 5, 0, jst)},
		{"Mon, 2 Jan 2006 3:04:05 PM +0900", time.Date(2006, 1, 2, 15, 4, 5, 0, jst)},
		{"Mon, 2 Jan 2006 12:04:05 AM +0900", time.Date(2006, 1, 2, 0, 4, 5, 0, jst)},
		{"Mon,\r\n 2 Jan 2006 15:04:05 +0900", time.Date(2006, 1, 2, 15, 4, 5, 0, jst)},
		{"Wed, 31 Dec 2008 23:59:60 +0000", time.Date(2008, 12, 31, 23, 59, 59, 0, utc)},
		{"2 Jan 2006", time.Date(2006, 1, 2, 0, 0, 0, 0, utc)},
	} {
		got, ok := Date(tc.raw)
		if !ok || !got.Equal(tc.want) {
			t.Errorf("Date(%q) = %v, %v; want %v", tc.raw, got, ok, tc.want)
			continue
		}
		_, o1 := got.Zone()
		_, o2 := tc.want.Zone()
		if o1 != o2 {
			t.Errorf("Date(%q): offset %d, want %d", tc.raw, o1, o2)
		}
	}
	for _, raw := range []string{
		"",
		"garbage",
		"Mon, 31 Feb 2006 15:04:05 +0900",
		"Mon, 2 Foo 2006 15:04:05 +0900",
		"Mon, 2 Jan 2006 25:04:05 +0900",
		"Mon, 2 Jan 2006 15:61:05 +0900",
		"Mon, 2 Jan 2006 15:04:05 +2500",
		"Mon, 2 Jan 2006 15:04:05 +09000",
		"Mon, 2 Jan 1800 15:04:05 +0900",
		"Mon, 2 Jan 15:04:05 +0900",
		"1 2 3 4 5 6 7",
		strings.Repeat("1 ", 1000),
	} {
		if got, ok := Date(raw); ok {
			t.Errorf("Date(%q) = %v, want failure", raw, got)
		}
	}
}

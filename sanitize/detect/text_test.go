package detect

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

func sjis(t *testing.T, s string) []byte {
	t.Helper()
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGuessCharset(t *testing.T) {
	const ja = "申請書の受付について、窓口までお越しください。ｶﾀｶﾅ"
	eucjp, _ := japanese.EUCJP.NewEncoder().Bytes([]byte(ja))
	jis, _ := japanese.ISO2022JP.NewEncoder().Bytes([]byte("申請書の受付"))
	utf8ja := []byte(ja)
	for _, tc := range []struct {
		name      string
		in        []byte
		truncated bool
		want      string
	}{
		{"ascii", []byte("hello\r\n"), false, "us-ascii"},
		{"iso-2022-jp", jis, false, "iso-2022-jp"},
		{"utf-8", utf8ja, false, "utf-8"},
		{"utf-8 cut in a rune, truncated prefix", utf8ja[:len(utf8ja)-1], true, "utf-8"},
		{"euc-jp", eucjp, false, "euc-jp"},
		{"shift_jis", sjis(t, ja), false, "shift_jis"},
		{"shift_jis cut after a lead byte, truncated prefix", sjis(t, "申")[:1], true, "shift_jis"},
		{"latin-1", []byte("caf\xe9 cr\xe8me br\xfbl\xe9e"), false, "8bit"},
		{"c1 garbage", []byte("a\x81\x82\x83\x84\x85\x86\x87\x88\x89\x80\x80"), false, ""},
	} {
		if got := guessCharset(tc.in, tc.truncated); got != tc.want {
			t.Errorf("%s: guessCharset = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestTextView(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     []byte
		want   string
		isText bool
	}{
		{"utf-8 bom", []byte("\xEF\xBB\xBFabc"), "abc", true},
		{"utf-16le bom", []byte("\xFF\xFEa\x00b\x00"), "ab", true},
		{"utf-16be bom", []byte("\xFE\xFF\x00a\x00b"), "ab", true},
		{"utf-16le no bom", []byte("<\x00h\x00t\x00m\x00l\x00>\x00"), "<html>", true},
		{"utf-16be no bom", []byte("\x00<\x00h\x00t\x00m\x00l\x00>"), "<html>", true},
		{"nul in 8-bit", []byte("abc\x00def"), "", false},
		{"controls", bytes.Repeat([]byte("a\x01\x02"), 10), "", false},
		{"one control", []byte("abc\x07def"), "abc\x07def", true},
		{"dos eof", []byte("abc\r\n\x1a"), "abc\r\n\x1a", true},
		{"utf-16 with NUL chars", []byte("\xFF\xFEa\x00\x00\x00\x00\x00\x00\x00"), "", false},
	} {
		v, ok := textView(tc.in)
		if ok != tc.isText || ok && string(v) != tc.want {
			t.Errorf("%s: textView = %q, %v; want %q, %v", tc.name, v, ok, tc.want, tc.isText)
		}
	}
}

func TestSniffText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Kind
	}{
		{"hello", Text},
		{"   \r\n{\\rtf1 x}", RTF},
		{"{\\rt", RTF},
		{"#!/bin/sh\x00\x01binary payload", Script},
		{"%!PS-Adobe-3.0", Binary},
		{"ID;PWXL;N;E", Binary},
		{"ID,Name\n1,a\n", Text}, // a comma CSV starting "ID" is not SYLK
		{"<!DOCTYPE html><p>x", HTML},
		{"<!-- c --><!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">", HTML},
		{"<HTML>", HTML},
		{"  <body onload=x()>", HTML},
		{"<a href=x>y</a>", HTML},
		{"<p>para", HTML},
		{"<?xml version=\"1.0\"?><!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x\"><svg/>", SVG},
		{"<?xml version=\"1.0\"?>\n<!-- c -->\n<svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\"/>", SVG},
		{"<svg onload=alert(1)>", SVG},
		{"<?xml version=\"1.0\"?><root/>", XML},
		{"<?xml version=\"1.0\"?><?xml-stylesheet href=\"x.xsl\"?><root/>", HTML},
		{"<?xml version=\"1.0\"?><root><h:b xmlns:h=\"http://www.w3.org/1999/xhtml\"/></root>", HTML},
		{"<?xml version=\"1.0\"?><root><s xmlns=\"http://www.w3.org/2000/svg\"/></root>", SVG},
		{"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \">\">]><r/>", XML},
		{"<root><a/></root>", XML},
		{"<root>", Text}, // no declaration, never closed: text
		{"<重要> お知らせ", Text},
		{"<html><HTA:APPLICATION/></html>", HTA},
		{"notes: <hta:application> is an HTA tag", HTA},
		{"Dear all,\nsee <SCRIPT src=x></script>", HTML},
		{"Dear all,\na <scripted> reply", Text},
		{"From: a@example.jp\nTo: b@example.jp\n\nbody", EML},
		{"From: a@example.jp\n\nbody", Text},
		{"Content-Type: multipart/mixed; boundary=x\n\n--x--", EML},
		{"Subject : obsolete\r\nDate: Mon, 1 Apr 2024 09:00:00 +0900\r\n\r\n", EML},
		{"Subject: a\r\n continued\r\nFrom: b\r\n\r\n", EML},
		{" continued\r\nFrom: b\r\nTo: c\r\n\r\n", Text},
		{"1 0 obj << >> endobj", PDF},
		{"xref\n0 1\ntrailer\n<< /Root 1 0 R >>", PDF},
		{"startxref\n0\n%%EOF", PDF},
		{"the film trailer was << great >>", Text},
	} {
		got := sniffText([]byte(tc.in), false)
		if got == "" {
			got = Binary
		}
		if got != tc.want {
			t.Errorf("sniffText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIsEMLBounded(t *testing.T) {
	// More header lines than maxHeaderLines: stops reading, still decides.
	var b strings.Builder
	b.WriteString("From: a\r\nTo: b\r\n")
	for range maxHeaderLines + 10 {
		b.WriteString("X-H: v\r\n")
	}
	if !isEML([]byte(b.String())) {
		t.Error("long header block not EML")
	}
	// The known fields lie past maxHeaderLines: not seen.
	b.Reset()
	for range maxHeaderLines {
		b.WriteString("X-H: v\r\n")
	}
	b.WriteString("From: a\r\nTo: b\r\n")
	if isEML([]byte(b.String())) {
		t.Error("fields past maxHeaderLines counted")
	}
}

func TestMarkupPrologBounded(t *testing.T) {
	// maxPrologItems comments before the root are skipped; one more is not.
	for _, tc := range []struct {
		comments int
		want     Kind
	}{
		{maxPrologItems - 1, SVG},
		{maxPrologItems, HTML}, // unresolved: fail closed
	} {
		in := strings.Repeat("<!--c-->", tc.comments) + "<svg/>"
		if got := sniffMarkup([]byte(in), false); got != tc.want {
			t.Errorf("%d comments: sniffMarkup = %q, want %q", tc.comments, got, tc.want)
		}
	}
	// A comment running past the prefix hides what follows: HTML.
	in := append([]byte("<!--"), bytes.Repeat([]byte("x"), prefixLen)...)
	in = append(in, "--><svg onload=alert(1)/>"...)
	if got := Detect(bytes.NewReader(in), int64(len(in)), "a.svg"); got != HTML {
		t.Errorf("padded comment: Detect = %q, want html", got)
	}
	// A whole small file that is only a comment is text.
	if got := sniffMarkup([]byte("<!-- just a note -->"), false); got != "" {
		t.Errorf("comment-only file: sniffMarkup = %q, want none", got)
	}
}

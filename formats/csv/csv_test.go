package csv

import (
	"bytes"
	"context"
	stdcsv "encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

func item(b []byte, name string) *sanitize.Item {
	return &sanitize.Item{Src: io.NewSectionReader(bytes.NewReader(b), 0, int64(len(b))), Name: name}
}

func run(t testing.TB, s *Sanitizer, b []byte, name string) ([]byte, []sanitize.Finding, error) {
	t.Helper()
	return runSize(t, s, b, name, bufSize)
}

func runSize(t testing.TB, s *Sanitizer, b []byte, name string, size int) ([]byte, []sanitize.Finding, error) {
	t.Helper()
	var out bytes.Buffer
	res, err := s.sanitize(context.Background(), &out, item(b, name), size)
	if err == nil && res.Kind != detect.CSV {
		t.Fatalf("Kind = %q", res.Kind)
	}
	return out.Bytes(), res.Findings, err
}

func formula(fs []sanitize.Finding) (sanitize.Finding, bool) {
	for _, f := range fs {
		if f.Rule == RuleFormula {
			return f, true
		}
	}
	return sanitize.Finding{}, false
}

func sjis(t testing.TB, s string) []byte {
	t.Helper()
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const calc = `=cmd|' /C calc'!A0`

func TestFormulas(t *testing.T) {
	tests := []struct {
		name  string
		opt   Options
		file  string // default a.csv
		in    string
		want  string
		count int    // cells neutralised
		where string // Where of csv.formula, if set
	}{
		{name: "benign", in: "id,name,amount\r\n1,山田,100\r\n2,\"a,b\",-12\r\n", want: "id,name,amount\r\n1,山田,100\r\n2,\"a,b\",-12\r\n"},
		{name: "dde unquoted", in: "a," + calc + "\n", want: "a,'" + calc + "\n", count: 1, where: "row 1 col 2"},
		{name: "dde quoted", in: `a,"` + calc + `"` + "\n", want: `a,"'` + calc + `"` + "\n", count: 1},
		{name: "first cell", in: calc, want: "'" + calc, count: 1, where: "row 1 col 1"},
		{name: "where", in: "a,b,c\nd,e,=1+1\n=2\n", want: "a,b,c\nd,e,'=1+1\n'=2\n", count: 2, where: "row 2 col 3, row 3 col 1"},
		{name: "where list is cut", in: "=1\n=1\n=1\n=1\n=1\n=1\n", want: "'=1\n'=1\n'=1\n'=1\n'=1\n'=1\n", count: 6,
			where: "row 1 col 1, row 2 col 1, row 3 col 1, row 4 col 1, row 5 col 1, …"},
		{name: "plus minus at", in: "+1+1,-2+3+cmd|' /C calc'!A0,@SUM(A1:A2)\n", want: "'+1+1,'-2+3+cmd|' /C calc'!A0,'@SUM(A1:A2)\n", count: 3},
		{name: "numbers", in: "-12,+3.5,-1e3,-.5,+5.,-5%,-1E+10,\"-1,234,567\"\n", want: "-12,+3.5,-1e3,-.5,+5.,-5%,-1E+10,\"-1,234,567\"\n"},
		{name: "not numbers", in: "-1,23\n", want: "-1,23\n"},
		{name: "bad grouping", in: "\"-1,23\",\"-1234,567\",-1e,-,--1\n", want: "\"'-1,23\",\"'-1234,567\",'-1e,-,'--1\n", count: 4},
		{name: "phone number", in: "+81-3-1234-5678\n", want: "'+81-3-1234-5678\n", count: 1},
		{name: "signs only", in: "-,--,==,+,@,\"- -\",＝＝＝,－\n", want: "-,--,==,+,@,\"- -\",＝＝＝,－\n"},
		{name: "full-width", in: "＝SUM(A1),＋1＋1,－cmd,＠SUM(A1)\n", want: "'＝SUM(A1),'＋1＋1,'－cmd,'＠SUM(A1)\n", count: 4},
		{name: "full-width number", in: "－１２．５,＋１，２３４\n", want: "－１２．５,＋１，２３４\n"},
		{name: "row of numbers", in: "-12,3.5,-4\n-1,-2,+3.5\n", want: "-12,3.5,-4\n-1,-2,+3.5\n"},
		{name: "mixed separators in a cell", in: "-1;2\t-3\n", want: "'-1;2\t-3\n", count: 1},
		{name: "row start judged whole", in: "-1,=cmd\n-1,x\n", want: "'-1,'=cmd\n'-1,x\n", count: 3},
		{name: "long numeric row", in: "-1" + strings.Repeat(",2", 3000) + "\n", want: "'-1" + strings.Repeat(",2", 3000) + "\n", count: 1},
		{name: "leading spaces", in: " =1+1,\u3000=1+1,\"  =1\", -5\n", want: " '=1+1,\u3000'=1+1,\"  '=1\", -5\n", count: 3},
		{name: "zero-width and nbsp", in: "\u200B=1,\u00A0=1,\u2060=1\n", want: "\u200B'=1,\u00A0'=1,\u2060'=1\n", count: 3},
		{name: "space then quote", in: "a, \"=1\"\n", want: "a, \"'=1\"\n", count: 1},
		{name: "tab at start", in: "a,\t=1\n", want: "a,'\t'=1\n", count: 2},
		{name: "tab alone", in: "a,\t,b\n", want: "a,\t,b\n"},
		{name: "cr inside quotes", in: "a,\"\r\n=1\"\n", want: "a,\"'\r\n=1\"\n", count: 1},
		{name: "crlf rows", in: "=1\r\n=2\r\n", want: "'=1\r\n'=2\r\n", count: 2, where: "row 1 col 1, row 2 col 1"},
		{name: "embedded newline kept", in: "\"line1\nline2\",x\n\"a\r\nb\",y\n", want: "\"line1\nline2\",x\n\"a\r\nb\",y\n"},
		{name: "row count across quoted newline", in: "\"a\nb\",c\n=1\n", want: "\"a\nb\",c\n'=1\n", count: 1, where: "row 2 col 1"},
		{name: "doubled quotes", in: "\"a\"\"b\",\"\"\"=x\"\"\",\"\"\n", want: "\"a\"\"b\",\"\"\"=x\"\"\",\"\"\n"},
		{name: "quote then formula inside quotes", in: "\"=\"\"x\"\"\"\n", want: "\"'=\"\"x\"\"\"\n", count: 1},
		{name: "ragged rows", in: "a\nb,c,d\n\ne,=1\n", want: "a\nb,c,d\n\ne,'=1\n", count: 1, where: "row 4 col 2"},
		{name: "bare quote in field", in: "ab\"c,=d\n", want: "ab\"c,'=d\n", count: 1},
		{name: "text after closing quote", in: "\"ab\"c,d\n\"x\"=y,=z\n", want: "\"ab\"c,d\n\"x\"=y,'=z\n", count: 1},
		{name: "already neutralised", in: "'=1,\"'=2\"\n", want: "'=1,\"'=2\"\n"},
		{name: "no final newline", in: "a,=1", want: "a,'=1", count: 1},
		{name: "empty", in: "", want: ""},
		{name: "semicolon secondary", in: "a;=1,b\n", want: "a;'=1,b\n", count: 1},
		{name: "number then secondary", in: "-1;=cmd\n", want: "'-1;'=cmd\n", count: 2},
		{name: "tab secondary in csv", in: "x\t\"=y\"\n", want: "x\t\"'=y\"\n", count: 1},
		{name: "tsv by name", file: "a.tsv", in: "a\t=1\tb,=2\n-3\t\"=4\"\n", want: "a\t'=1\tb,'=2\n-3\t\"'=4\"\n", count: 3},
		{name: "tsv tab is a delimiter", file: "a.tsv", in: "a\t\tb\n", want: "a\t\tb\n"},
		{name: "tsv sniffed", file: "data", in: "a\tb\tc\n1\t=x\t3\n", want: "a\tb\tc\n1\t'=x\t3\n", count: 1, where: "row 2 col 2"},
		{name: "csv sniffed", file: "data", in: "a,b\tc\n1,=x\n", want: "a,b\tc\n1,'=x\n", count: 1, where: "row 2 col 2"},
		{name: "delimiter option", opt: Options{Delimiter: ';'}, in: "a;=1;\"=2\"\n", want: "a;'=1;\"'=2\"\n", count: 2, where: "row 1 col 2, row 1 col 3"},
		{name: "strict", opt: Options{StrictFormulas: true}, in: "-12,-,+3\n", want: "'-12,'-,'+3\n", count: 3},
		{name: "keep", opt: Options{KeepFormulas: true}, in: "a," + calc + "\n", want: "a," + calc + "\n", count: 1},
		{name: "bidi hides a formula", in: "a,\u202E=1\n", want: "a,'=1\n", count: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if file == "" {
				file = "a.csv"
			}
			s := New(tc.opt)
			out, fs, err := run(t, s, []byte(tc.in), file)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Errorf("output\n%q\nwant\n%q", out, tc.want)
			}
			f, ok := formula(fs)
			switch {
			case tc.count == 0 && ok:
				t.Errorf("unexpected finding %+v", f)
			case tc.count > 0 && !ok:
				t.Errorf("no csv.formula finding")
			case ok:
				want := sanitize.Cleaned
				if tc.opt.KeepFormulas {
					want = sanitize.Recorded
				}
				if f.Action != want {
					t.Errorf("action %v, want %v", f.Action, want)
				}
				if !strings.HasPrefix(f.Detail, strconv.Itoa(tc.count)+" ") {
					t.Errorf("detail %q, want count %d", f.Detail, tc.count)
				}
				if tc.where != "" && f.Where != tc.where {
					t.Errorf("where %q, want %q", f.Where, tc.where)
				}
			}
			// The output sanitizes to itself with no finding (but KeepFormulas
			// records the same cells again).
			again, fs2, err := run(t, s, out, file)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("second pass: %q, %v", again, err)
			}
			for _, f := range fs2 {
				if f.Action > sanitize.Recorded {
					t.Errorf("second pass finding %+v", f)
				}
			}
			if !tc.opt.KeepFormulas {
				delim := rune(tc.opt.Delimiter)
				if delim == 0 {
					delim = rune(New(tc.opt).delimiter(file, []byte(tc.in)))
				}
				checkNoFormula(t, out, delim)
			}
			// Buffer boundaries anywhere give the same result.
			for size := 2 * lookahead; size < 2*lookahead+8; size++ {
				got, _, err := runSize(t, s, []byte(tc.in), file, size)
				if err != nil || !bytes.Equal(got, out) {
					t.Fatalf("buffer %d: %q, %v", size, got, err)
				}
			}
		})
	}
}

// checkNoFormula parses out with encoding/csv under each separator and fails
// if a field that parses strictly begins with a formula trigger and is not
// exempt.
func checkNoFormula(t testing.TB, out []byte, delim rune) {
	t.Helper()
	out = bytes.TrimPrefix(out, []byte("\uFEFF"))
	for _, sep := range []rune{',', '\t', ';'} {
		r := stdcsv.NewReader(bytes.NewReader(out))
		r.Comma = sep
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		if err != nil {
			continue
		}
		// In a tab-separated file a tab is a separator, not a trigger: what
		// follows it was judged as a cell of its own.
		trim := " \u00A0\u3000\u200B\u2060\uFEFF"
		if delim == '\t' {
			trim += "\t"
		}
		for _, rec := range recs {
			for i, f := range rec {
				v := strings.TrimLeft(f, trim)
				if v == "" {
					continue
				}
				// A row's first field under another separator than the
				// file's may be longer than the cell judged; it must then
				// be harmless.
				other := i == 0 && sep != delim && harmless([]byte(v))
				c, _ := utf8.DecodeRuneInString(v)
				if strings.ContainsRune("=+-@\t\r＝＋－＠", c) && !plainNumber([]byte(v)) && !signsOnly([]byte(v)) && !other {
					t.Errorf("separator %q: field %q is a formula in %q", sep, f, out)
				}
			}
		}
	}
}

func TestCharsetAndBOM(t *testing.T) {
	in := sjis(t, "氏名,金額\r\n山田,=1+1\r\n")
	out, fs, err := run(t, New(Options{}), in, "a.csv")
	if err != nil {
		t.Fatal(err)
	}
	if want := "\uFEFF氏名,金額\r\n山田,'=1+1\r\n"; string(out) != want {
		t.Errorf("output %q, want %q", out, want)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Rule)
	}
	if !slices.Equal(got, []string{"text.charset", "csv.formula"}) {
		t.Errorf("findings %+v", fs)
	}
	again, fs, _ := run(t, New(Options{}), out, "a.csv")
	if !bytes.Equal(again, out) || len(fs) != 0 {
		t.Errorf("second pass: %q, %+v", again, fs)
	}
	out, _, _ = run(t, New(Options{OmitBOM: true}), in, "a.csv")
	if bytes.HasPrefix(out, []byte("\uFEFF")) {
		t.Errorf("OmitBOM: output has a BOM")
	}

	// A UTF-8 CSV with a BOM passes byte for byte.
	in = []byte("\uFEFF氏名,金額\r\n山田,100\r\n")
	out, fs, _ = run(t, New(Options{}), in, "a.csv")
	if !bytes.Equal(out, in) || len(fs) != 0 {
		t.Errorf("utf-8 with bom: %q, %+v", out, fs)
	}
	// With OmitBOM the BOM goes, and that is reported.
	out, fs, _ = run(t, New(Options{OmitBOM: true}), in, "a.csv")
	if bytes.HasPrefix(out, []byte("\uFEFF")) || len(fs) != 1 || fs[0].Rule != "text.charset" {
		t.Errorf("utf-8 with bom, OmitBOM: %q, %+v", out, fs)
	}
	// Controls are removed as in text.
	out, fs, _ = run(t, New(Options{}), []byte("a\x00,b\n"), "a.csv")
	if string(out) != "a,b\n" || len(fs) != 1 || fs[0].Rule != "text.control" {
		t.Errorf("controls: %q, %+v", out, fs)
	}
}

func TestUnterminatedQuote(t *testing.T) {
	_, _, err := run(t, New(Options{}), []byte("a,b\nc,\"d,e\nf\n"), "a.csv")
	if !errors.Is(err, sanitize.ErrMalformed) || !strings.Contains(err.Error(), "row 2 col 2") || !strings.HasPrefix(err.Error(), "csv: ") {
		t.Errorf("err = %v", err)
	}
}

func TestLongCells(t *testing.T) {
	s := New(Options{})
	// A cell of 3 MiB streams through.
	big := strings.Repeat("x", 3<<20)
	in := "a,\"" + big + "\",=1\n" + big + ",b\n"
	out, fs, err := run(t, s, []byte(in), "a.csv")
	if err != nil {
		t.Fatal(err)
	}
	if want := "a,\"" + big + "\",'=1\n" + big + ",b\n"; string(out) != want {
		t.Errorf("long cells changed")
	}
	if f, ok := formula(fs); !ok || f.Where != "row 1 col 3" {
		t.Errorf("finding %+v", fs)
	}
	// A number of checkWindow bytes is exempt, one byte more is not.
	long := "-" + strings.Repeat("1", checkWindow)
	out, _, _ = run(t, s, []byte(long+","+long[:checkWindow]), "a.csv")
	if want := "'" + long + "," + long[:checkWindow]; string(out) != want {
		t.Errorf("long number: %q", out)
	}
	// A row of numbers of rowWindow bytes is exempt, one byte more is not.
	row := "-1" + strings.Repeat(",2", (rowWindow-2)/2)
	if len(row) != rowWindow {
		t.Fatalf("row is %d bytes", len(row))
	}
	out, _, _ = run(t, s, []byte(row+"\n"+row+"3\n"), "a.csv")
	if want := row + "\n'" + row + "3\n"; string(out) != want {
		t.Errorf("long row: got %.20q…", out)
	}
	// Many spaces before a formula.
	sp := strings.Repeat(" ", 10000)
	out, _, _ = run(t, s, []byte(sp+"=1"), "a.csv")
	if string(out) != sp+"'=1" {
		t.Errorf("spaces then formula not neutralised")
	}
}

// The scan buffer holds the longest lookahead with room to read more.
func TestBufferSize(t *testing.T) {
	if bufSize < 2*lookahead || firstRow > bufSize {
		t.Errorf("bufSize %d, lookahead %d, firstRow %d", bufSize, lookahead, firstRow)
	}
}

func TestOptionsValidate(t *testing.T) {
	if err := (Options{Delimiter: '|'}).Validate(); err == nil {
		t.Error("'|' accepted")
	}
	_, err := New(Options{Delimiter: '"'}).Sanitize(t.Context(), io.Discard, item([]byte("a"), "a.csv"))
	if err == nil {
		t.Error("bad delimiter: no error")
	}
	for _, d := range []byte{0, ',', '\t', ';'} {
		if err := (Options{Delimiter: d}).Validate(); err != nil {
			t.Errorf("%q: %v", d, err)
		}
	}
}

func TestContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 0)
	defer cancel()
	<-ctx.Done()
	_, err := New(Options{}).Sanitize(ctx, io.Discard, item([]byte("a,b"), "a.csv"))
	if !errors.Is(err, sanitize.ErrTimeout) {
		t.Errorf("err = %v", err)
	}
}

func TestPlainNumber(t *testing.T) {
	yes := []string{"-1", "+1", "-12.5", "-.5", "-5.", "-1e3", "-1E-3", "+1e+3", "-5%", "-1,234", "-12,345,678.9", "-1  ", "－１２", "－１，２３４．５"}
	no := []string{"-", "+", "-e3", "-1e", "-1,23", "-1234,567", "-1,2345", "1", "=1", "-1-1", "-0x10", "- 1", "-1%%", "-1.2.3", "-1,234.5,6", "-1e3.5"}
	for _, s := range yes {
		if !plainNumber([]byte(s)) {
			t.Errorf("plainNumber(%q) = false", s)
		}
	}
	for _, s := range no {
		if plainNumber([]byte(s)) {
			t.Errorf("plainNumber(%q) = true", s)
		}
	}
}

func TestRuleListed(t *testing.T) {
	if sanitize.DescribeRule(RuleFormula, "en") == RuleFormula {
		t.Errorf("%s is not in sanitize.RuleTable", RuleFormula)
	}
}

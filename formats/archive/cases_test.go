package archive

import (
	"archive/tar"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/mugai-project/mugai/sanitize"
)

func sjis(s string) []byte {
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return b
}

func eucjp(s string) []byte {
	b, err := japanese.EUCJP.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return b
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	fw, _ := flate.NewWriter(&out, flate.BestCompression)
	fw.Write(b)
	fw.Close()
	return out.Bytes()
}

// unicodePath is an Info-ZIP Unicode Path extra field (0x7075) for a
// stored name.
func unicodePath(stored []byte, name string) []byte {
	var b bytes.Buffer
	for _, v := range []any{uint16(0x7075), uint16(5 + len(name)), uint8(1), crc32.ChecksumIEEE(stored)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString(name)
	return b.Bytes()
}

var mz = "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + strings.Repeat("\x00", 48) + "PE\x00\x00"

func TestZipCases(t *testing.T) {
	big := bytes.Repeat([]byte("0"), 3<<20)
	overlap := func() []byte {
		// Entry b's local header and data lie inside entry a's data: the
		// overlapping-entry construction (each extra entry reuses the
		// same compressed kernel).
		inner := buildZip([]rawEntry{{name: []byte("b.txt"), data: []byte("kernel")}})
		innerLocal := inner[:30+5+6]
		a := rawEntry{name: []byte("a.txt"), data: innerLocal}
		z := buildZip([]rawEntry{a, {name: []byte("b.txt"), data: []byte("kernel"), skipLocal: true, offset: 30 + 5}})
		return z
	}
	cases := []struct {
		name    string
		in      []byte
		lim     sanitize.Limits
		blocked string            // rule that must block, "" when it crosses
		want    map[string]string // output entries (name → content prefix)
		finding string            // a finding that must be present
	}{
		{name: "plain", in: stdZip(t, "a.txt", "hello", "dir/b.txt", "world"),
			want: map[string]string{"a.txt": "hello", "dir/b.txt": "world"}},
		{name: "cp932 names", in: buildZip([]rawEntry{
			{name: sjis("表だよ/"), offset: -1},
			{name: sjis("表だよ/一覧表.txt"), data: []byte("abc")},
			{name: sjis("ソ連の予算表.txt"), data: []byte("def")},
		}), want: map[string]string{"表だよ/": "", "表だよ/一覧表.txt": "abc", "ソ連の予算表.txt": "def"}, finding: RuleCharset},
		{name: "euc-jp names", in: buildZip([]rawEntry{
			{name: eucjp("議事録/第一回会議.txt"), data: []byte("abc")},
			{name: eucjp("申請書.txt"), data: []byte("def")},
		}), want: map[string]string{"議事録/第一回会議.txt": "abc", "申請書.txt": "def"}, finding: RuleCharset},
		{name: "utf-8 unflagged", in: buildZip([]rawEntry{{name: []byte("報告書.txt"), data: []byte("abc")}}),
			want: map[string]string{"報告書.txt": "abc"}},
		{name: "unicode path agrees", in: buildZip([]rawEntry{{name: sjis("予定.txt"), data: []byte("x"), extra: unicodePath(sjis("予定.txt"), "予定.txt")}}),
			want: map[string]string{"予定.txt": "x"}},
		{name: "unicode path disagrees", in: buildZip([]rawEntry{{name: sjis("予定.txt"), data: []byte("x"), extra: unicodePath(sjis("予定.txt"), "invoice.exe")}}),
			blocked: RuleName},
		{name: "unicode path stale", in: buildZip([]rawEntry{{name: []byte("plan.txt"), data: []byte("x"), extra: unicodePath([]byte("old.txt"), "old.txt")}}),
			want: map[string]string{"plan.txt": "x"}},
		{name: "unicode path rescues undecodable", in: buildZip([]rawEntry{{name: []byte{'a', 0x80, 0xFF, '.', 't', 'x', 't'}, data: []byte("x"), extra: unicodePath([]byte{'a', 0x80, 0xFF, '.', 't', 'x', 't'}, "Пример.txt")}}),
			want: map[string]string{"Пример.txt": "x"}},
		{name: "zip64", in: buildZip([]rawEntry{{name: []byte("a.txt"), data: []byte("sixty-four"), zip64: true}, {name: []byte("b.txt"), data: []byte("b"), zip64: true}}),
			want: map[string]string{"a.txt": "sixty-four", "b.txt": "b"}},
		{name: "overlap", in: overlap(), blocked: RuleOverlap},
		{name: "traversal", in: stdZip(t, "../../evil.txt", "x"), blocked: RulePath},
		{name: "absolute", in: buildZip([]rawEntry{{name: []byte("/etc/cron.d/x"), data: []byte("x")}}), blocked: RulePath},
		{name: "drive", in: buildZip([]rawEntry{{name: []byte(`C:\Windows\x.txt`), data: []byte("x")}}), blocked: RulePath},
		{name: "backslash traversal", in: buildZip([]rawEntry{{name: []byte(`a\..\..\x.txt`), data: []byte("x")}}), blocked: RulePath},
		{name: "symlink", in: buildZip([]rawEntry{{name: []byte("link"), data: []byte("/etc/passwd"), madeBy: 3 << 8, extAttr: 0xA1FF << 16}}), blocked: RuleLink},
		{name: "device", in: buildZip([]rawEntry{{name: []byte("dev"), data: []byte{}, madeBy: 3 << 8, extAttr: 0x21B6 << 16}}), blocked: RuleLink},
		{name: "duplicate", in: stdZip(t, "a.txt", "1", "A.TXT", "2"), blocked: RuleDuplicate},
		{name: "zipcrypto", in: buildZip([]rawEntry{{name: []byte("a.txt"), data: []byte("0123456789ab"), flags: 1}}), blocked: RuleEncrypted},
		{name: "winzip aes", in: buildZip([]rawEntry{{name: []byte("a.txt"), data: []byte("x"), method: 99, flags: 1,
			extra: []byte{0x01, 0x99, 7, 0, 2, 0, 'A', 'E', 3, 8, 0}}}), blocked: RuleEncrypted},
		{name: "local name differs", in: buildZip([]rawEntry{{name: []byte("a.txt"), cdName: []byte("b.txt"), data: []byte("x")}}), blocked: RuleStructure},
		{name: "declared ratio", in: buildZip([]rawEntry{{name: []byte("z.txt"), data: big, comp: deflate(big), method: 8}}), blocked: RuleBomb},
		{name: "size lie", in: buildZip([]rawEntry{{name: []byte("z.txt"), data: []byte("0123456789"), comp: deflate([]byte("0123456789")), method: 8, usize: 4}}), blocked: RuleStructure},
		{name: "parts N", in: stdZip(t, "1.txt", "a", "2.txt", "b", "3.txt", "c"), lim: sanitize.Limits{MaxParts: 3},
			want: map[string]string{"1.txt": "a", "2.txt": "b", "3.txt": "c"}},
		{name: "parts N+1", in: stdZip(t, "1.txt", "a", "2.txt", "b", "3.txt", "c", "4.txt", "d"), lim: sanitize.Limits{MaxParts: 3},
			blocked: sanitize.RuleLimitParts},
		{name: "expanded N", in: stdZip(t, "a.txt", strings.Repeat("x", 1000)), lim: sanitize.Limits{MaxExpanded: 1000},
			want: map[string]string{"a.txt": "xxx"}},
		{name: "expanded N+1", in: stdZip(t, "a.txt", strings.Repeat("x", 1001)), lim: sanitize.Limits{MaxExpanded: 1000},
			blocked: sanitize.RuleLimitSize},
		{name: "executable removed", in: stdZip(t, "請求書.exe", mz, "readme.txt", "ok"),
			want: map[string]string{"請求書.exe.removed.txt": "このファイル「請求書.exe」", "readme.txt": "ok"}, finding: RuleMember},
		{name: "unsupported method removed", in: buildZip([]rawEntry{{name: []byte("a.txt"), data: []byte("x"), method: 14}}),
			want: map[string]string{"a.txt.removed.txt": "このファイル"}, finding: RuleMethod},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eng := newEngine(t, tc.lim)
			start := time.Now()
			rep, out := run(t, eng, "in.zip", tc.in)
			if d := time.Since(start); d > fastLimit {
				t.Errorf("took %v", d)
			}
			if tc.blocked != "" {
				if out != nil || rep.Outcome != sanitize.OutcomeBlocked {
					t.Fatalf("outcome %s, want blocked", rep.Outcome)
				}
				if !rules(rep, sanitize.Blocked)[tc.blocked] {
					t.Fatalf("blocked by %v, want %s", rep.Findings, tc.blocked)
				}
				return
			}
			if out == nil {
				t.Fatalf("blocked: %+v %s", rep.Findings, rep.Error)
			}
			if tc.finding != "" && !rules(rep, 0)[tc.finding] {
				t.Errorf("finding %s missing: %+v", tc.finding, rep.Findings)
			}
			got := zipNames(t, out)
			if len(got) != len(tc.want) {
				t.Errorf("entries %q, want %q", keys(got), keys(tc.want))
			}
			for n, c := range tc.want {
				g, ok := got[n]
				if !ok {
					t.Errorf("entry %q missing (have %q)", n, keys(got))
				} else if !strings.HasPrefix(g, c) {
					t.Errorf("entry %q = %q, want prefix %q", n, g, c)
				}
			}
			// Idempotent: the output crosses again with nothing to do.
			rep2, out2 := run(t, eng, "out.zip", out)
			if out2 == nil || rules(rep2, sanitize.Cleaned)[RuleMember] {
				t.Errorf("re-sanitizing: %s %+v", rep2.Outcome, rep2.Findings)
			}
			if !bytes.Equal(out, out2) {
				t.Errorf("re-sanitizing changed the output")
			}
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestNested(t *testing.T) {
	// zip → zip → zip → zip → text: depth 4 is one past the default 3; the
	// innermost zip is removed, the rest crosses.
	in := stdZip(t, "t.txt", "deep")
	for i := 0; i < 4; i++ {
		in = stdZip(t, "n.zip", string(in))
	}
	eng := newEngine(t, sanitize.Limits{})
	rep, out := run(t, eng, "n.zip", in)
	if out == nil {
		t.Fatalf("blocked: %+v", rep.Findings)
	}
	if !rules(rep, sanitize.Blocked)[sanitize.RuleLimitDepth] {
		t.Errorf("no limit.depth: %+v", rep)
	}
}

func TestTar(t *testing.T) {
	mk := func(hs ...*tar.Header) []byte {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		for _, h := range hs {
			body := h.Linkname
			if h.Typeflag == tar.TypeReg {
				h.Size = int64(len(body))
				h.Linkname = ""
			}
			tw.WriteHeader(h)
			if h.Typeflag == tar.TypeReg {
				io.WriteString(tw, body)
			}
		}
		tw.Close()
		return b.Bytes()
	}
	reg := func(name, body string) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Linkname: body, Mode: 0o644}
	}
	cases := []struct {
		name    string
		in      []byte
		blocked string
		want    []string
	}{
		{"plain", mk(reg("a.txt", "hello"), &tar.Header{Typeflag: tar.TypeDir, Name: "d/"}, reg("d/b.txt", "x")), "", []string{"a.txt", "d/", "d/b.txt"}},
		{"cp932", mk(reg(string(sjis("資料.txt")), "x")), "", []string{"資料.txt"}},
		{"traversal", mk(reg("../x.txt", "x")), RulePath, nil},
		{"symlink", mk(&tar.Header{Typeflag: tar.TypeSymlink, Name: "l", Linkname: "/etc/passwd"}), RuleLink, nil},
		{"hardlink", mk(&tar.Header{Typeflag: tar.TypeLink, Name: "l", Linkname: "a"}), RuleLink, nil},
		{"device", mk(&tar.Header{Typeflag: tar.TypeChar, Name: "c"}), RuleLink, nil},
		{"duplicate", mk(reg("a.txt", "1"), reg("a.txt", "2")), RuleDuplicate, nil},
		{"executable removed", mk(reg("a.exe", mz)), "", []string{"a.exe.removed.txt"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eng := newEngine(t, sanitize.Limits{})
			rep, out := run(t, eng, "in.tar", tc.in)
			if tc.blocked != "" {
				if out != nil || !rules(rep, sanitize.Blocked)[tc.blocked] {
					t.Fatalf("%s %+v, want blocked by %s", rep.Outcome, rep.Findings, tc.blocked)
				}
				return
			}
			if out == nil {
				t.Fatalf("blocked: %+v", rep.Findings)
			}
			tr := tar.NewReader(bytes.NewReader(out))
			var got []string
			for {
				h, err := tr.Next()
				if err != nil {
					break
				}
				got = append(got, h.Name)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("entries %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGzip(t *testing.T) {
	gz := func(name string, b []byte) []byte {
		var out bytes.Buffer
		zw := gzip.NewWriter(&out)
		zw.Name = name
		zw.Write(b)
		zw.Close()
		return out.Bytes()
	}
	eng := newEngine(t, sanitize.Limits{})
	rep, out := run(t, eng, "a.txt.gz", gz("a.txt", []byte("hello")))
	if out == nil {
		t.Fatalf("blocked: %+v", rep.Findings)
	}
	zr, err := gzip.NewReader(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(zr)
	if string(b) != "hello" || zr.Name != "a.txt" {
		t.Errorf("got %q named %q", b, zr.Name)
	}
	// A ratio bomb: 200 MiB of zeros fails fast, without being expanded
	// past the ratio.
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	for range 200 {
		zw.Write(zero)
	}
	zw.Close()
	start := time.Now()
	rep, out = run(t, eng, "z.gz", bomb.Bytes())
	if out != nil || !rules(rep, sanitize.Blocked)[RuleBomb] {
		t.Errorf("bomb: %s %+v", rep.Outcome, rep.Findings)
	}
	if d := time.Since(start); d > fastLimit {
		t.Errorf("bomb took %v", d)
	}
	// An executable inside blocks the stream.
	rep, out = run(t, eng, "a.exe.gz", gz("a.exe", []byte(mz)))
	if out != nil || !rules(rep, sanitize.Blocked)[RuleMember] {
		t.Errorf("executable: %s %+v", rep.Outcome, rep.Findings)
	}
}

func TestGuessCharset(t *testing.T) {
	for _, tc := range []struct {
		names [][]byte
		want  Charset
	}{
		{[][]byte{[]byte("a.txt")}, CharsetUTF8},
		{[][]byte{[]byte("報告.txt")}, CharsetUTF8},
		{[][]byte{sjis("ｱｲｳ半角カナ.txt"), sjis("表.txt")}, CharsetCP932},
		{[][]byte{eucjp("会議資料.txt")}, CharsetEUCJP},
		{[][]byte{sjis("①②③髙﨑.txt")}, CharsetCP932},                                                            // NEC and IBM extensions
		{[][]byte{{0x8f, 0x90, 0x88, 0x82, 0x85, 0x92}, {0xaf, 0xe0, 0xa8, 0xa2, 0xa5, 0xe2}}, CharsetUnknown}, // CP866
		{[][]byte{{0x8f, 0x90, 0x88, 0x82}}, CharsetUnknown},                                                   // 0x8882 is unassigned in CP932
	} {
		if got := guessCharset(tc.names); got != tc.want {
			t.Errorf("%q: %s, want %s", tc.names, got, tc.want)
		}
	}
}

package archive

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// corpusDir holds real third-party files (shared/corpus beside the
// repository); the tests skip without it. Files are only ever opened
// through the sanitizer.
const corpusDir = "../../../shared/corpus"

// corpusExpect is what must happen to particular corpus files: a rule that
// blocks the file, or, for files that cross, names that must appear in
// the output (Japanese names decoded exactly).
var corpusExpect = map[string]struct {
	blocked string
	names   []string
	removed string // a rule some member must be removed by
}{
	"archive/tika__droste.zip":                                {blocked: RuleQuine},
	"archive/libzip__bigzero-zip.zip":                         {blocked: RuleBomb}, // 4 MB zip in 10 KB: over the ratio already
	"archive/libzip__manyfiles-zip.zip":                       {removed: sanitize.RuleLimitParts},
	"archive/patt__zipslip_python-admin-__init__.py.zip":      {blocked: RulePath},
	"archive/libzip__filename_duplicate.zip":                  {blocked: RuleDuplicate},
	"archive/libzip__incons-local-filename.zip":               {blocked: RuleStructure},
	"archive/libzip__incons-central-crc.zip":                  {blocked: RuleStructure},
	"archive/libzip__zip64-in-archive-comment.zip":            {blocked: RuleStructure},
	"archive/libarchive__zip_7075_utf8_paths.zip":             {blocked: RuleStructure}, // local and central names differ for "File 2"; its Unicode path CRC fits neither
	"archive/libarchive__zip_traditional_encryption_data.zip": {blocked: RuleEncrypted},
	"archive/libarchive__zip_winzip_aes128.zip":               {blocked: RuleEncrypted},
	"archive/libarchive__zip_winzip_aes256.zip":               {blocked: RuleEncrypted},
	"archive/libarchive__zip_encryption_header.zip":           {blocked: RuleEncrypted},
	"archive/tika__testZipEncrypted.zip":                      {blocked: RuleEncrypted},
	"archive/libarchive__7zip_encryption.7z":                  {blocked: RuleEncrypted},
	"archive/libarchive__7zip_symbolic_name.7z":               {blocked: RuleLink},
	"archive/libarchive__zip_filename_cp932.zip":              {names: []string{"表だよ/一覧表.txt", "表だよ/漢字.txt"}},
	"archive/tika__testZipEntryNameCharsetShiftSJIS.zip":      {names: []string{"文章1.txt", "文章2.txt"}},
	"archive/libarchive__zip_zip64a.zip":                      {names: []string{"-.txt"}}, // "-": written from a pipe
	"archive/libarchive__zip_zip64b.zip":                      {names: []string{"-.txt"}}, // "-": written from a pipe
	"archive/tika__test-documents.7z":                         {names: []string{"test-documents/testTXT.txt"}},
}

// archiveKinds are the kinds this package reads.
var archiveKinds = []sanitize.Kind{detect.ZIP, detect.GZIP, detect.TAR, detect.SevenZ, detect.BZIP2, detect.XZ, detect.LZH}

// TestCorpus runs every archive of the corpus (archive/ and the archives
// in misc/) through the engine: no panic, no hang, each under a few
// seconds and known bombs under one; outcomes counted by rule; expected
// results checked; every zip output listed by an independent reader
// (python3 zipfile) when it is installed.
func TestCorpus(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skip("no shared corpus")
	}
	var files []string
	for _, dir := range []string{"archive", "misc"} {
		ents, _ := os.ReadDir(filepath.Join(corpusDir, dir))
		for _, e := range ents {
			files = append(files, dir+"/"+e.Name())
		}
	}
	eng := newEngine(t, sanitize.Limits{Timeout: 20 * time.Second})
	counts := map[string]int{}
	python, _ := exec.LookPath("python3")
	seen := 0
	for _, f := range files {
		path := filepath.Join(corpusDir, f)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		k := detect.Detect(bytes.NewReader(b), int64(len(b)), f)
		if !slices.Contains(archiveKinds, k) {
			continue
		}
		seen++
		t.Run(f, func(t *testing.T) {
			start := time.Now()
			rep, out := run(t, eng, filepath.Base(f), b)
			d := time.Since(start)
			if d > 5*fastLimit {
				t.Errorf("took %v", d)
			}
			rep.Walk(func(_ int, r *sanitize.Report) {
				for _, f := range r.Findings {
					if strings.Contains(f.Detail, "panic") {
						t.Errorf("panic: %s", f.Detail)
					}
					if f.Rule == sanitize.RuleLimitTime {
						t.Errorf("hit the deadline")
					}
				}
			})
			key := string(rep.Outcome)
			if rep.Outcome == sanitize.OutcomeBlocked {
				var rs []string
				for _, f := range rep.Findings {
					if f.Action == sanitize.Blocked {
						rs = append(rs, f.Rule)
					}
				}
				key += " " + strings.Join(rs, ",")
			} else if rules(rep, sanitize.Removed)[RuleMember] {
				key += " (members removed)"
			}
			counts[key]++
			t.Logf("%-8s %v %s", d.Round(time.Millisecond), key, rep.Error)
			exp, ok := corpusExpect[f]
			if !ok {
				return
			}
			if exp.blocked != "" || exp.removed != "" {
				if d > fastLimit {
					t.Errorf("bomb or hostile archive took %v", d)
				}
			}
			if exp.blocked != "" {
				if out != nil || !rules(rep, sanitize.Blocked)[exp.blocked] {
					t.Errorf("want blocked by %s, got %s %+v", exp.blocked, rep.Outcome, rep.Findings)
				}
				return
			}
			if out == nil {
				t.Fatalf("blocked: %+v", rep.Findings)
			}
			if exp.removed != "" && !rules(rep, sanitize.Blocked)[exp.removed] {
				t.Errorf("no member blocked by %s", exp.removed)
			}
			if len(exp.names) > 0 {
				got := zipNames(t, out)
				for _, n := range exp.names {
					if _, ok := got[n]; !ok {
						t.Errorf("name %q missing from %q", n, keys(got))
					}
				}
			}
			if python != "" && (rep.OutputType == detect.ZIP) {
				oracleZip(t, python, out, zipNames(t, out))
			}
		})
	}
	var ks []string
	for k := range counts {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		t.Logf("%4d  %s", counts[k], k)
	}
	t.Logf("%d archives", seen)
}

// oracleZip lists a zip output with python3's zipfile module: it must
// open, every CRC must check (testzip), and its names must be ours.
func oracleZip(t *testing.T, python string, out []byte, want map[string]string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "out.zip")
	if err := os.WriteFile(p, out, 0o600); err != nil {
		t.Fatal(err)
	}
	script := `import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
print(json.dumps({"bad": bad, "names": [i.filename for i in z.infolist()], "utf8": all(i.flag_bits & 0x800 or i.filename.isascii() for i in z.infolist())}))`
	res, err := exec.Command(python, "-c", script, p).Output()
	if err != nil {
		t.Fatalf("python3 zipfile: %v", err)
	}
	var got struct {
		Bad   *string
		Names []string
		UTF8  bool
	}
	if err := json.Unmarshal(res, &got); err != nil {
		t.Fatal(err)
	}
	if got.Bad != nil {
		t.Errorf("python3 zipfile: bad CRC in %s", *got.Bad)
	}
	if !got.UTF8 {
		t.Errorf("python3 zipfile: a non-ASCII name without the UTF-8 flag")
	}
	if len(got.Names) != len(want) {
		t.Errorf("python3 lists %q, we wrote %q", got.Names, keys(want))
	}
	for _, n := range got.Names {
		if _, ok := want[n]; !ok {
			t.Errorf("python3 lists %q, which we did not write", n)
		}
	}
}

package uue

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir holds real third-party samples (see its MANIFEST.tsv); tests
// that need it skip when it is absent.
const corpusDir = "../../../../shared/corpus"

// corpusMail lists corpus mails with uuencoded blocks and what Split must
// find when run over the whole raw message: name, data prefix, broken.
var corpusMail = []struct {
	file   string
	blocks []corpusBlock
}{
	{"mail/hunny__m0018.eml", []corpusBlock{{"blueball.png", "\x89PNG", false}, {"greenball.png", "\x89PNG", false}, {"redball.png", "\x89PNG", false}}},
	{"mail/hunny__m1014.eml", []corpusBlock{{"redball.png", "\x89PNG", false}, {"greenball.png", "\x89PNG", false}, {"blueball.png", "\x89PNG", false}}},
	{"mail/hunny__m2010.eml", []corpusBlock{{"greenball.png", "\x89PNG", false}, {"blueball.png", "\x89PNG", false}}},
	{"mail/hunny__m2013.eml", []corpusBlock{{"HasenundFr\xf6sche.txt", "Die Hase", false}}},
	{"mail/mime4j__uu-junk.eml", []corpusBlock{{"up.gif", "GIF87a", false}, {"zeegee.gif", "GIF87a", false}}},
	// The last line is "e", not "end": the ClamAV test file is reported
	// broken, with its data.
	{"mail/clamav__clam.exe.mbox.uu", []corpusBlock{{"clam.exe", "MZ", true}}},
	// The second part's begin line is folded (an encoded-word name on two
	// lines): readers would take it as a block, so it is a broken one. The
	// sample holds that part twice.
	{"mail/joruri__attachment_uuencode.eml", []corpusBlock{{"test.txt", "\x00\x00\x00\x00\x00", false},
		{"=?UTF-8?B?dXVlbmNvZGXmt7vku5jjg5XjgqHjgqTjg6vlkI3jgYzopIfmlbDooYzjgavj?=", "", true},
		{"=?UTF-8?B?dXVlbmNvZGXmt7vku5jjg5XjgqHjgqTjg6vlkI3jgYzopIfmlbDooYzjgavj?=", "", true}}},
}

type corpusBlock struct {
	name, prefix string
	broken       bool
}

func readCorpus(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("corpus sample %s absent", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCorpus(t *testing.T) {
	for _, tc := range corpusMail {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			in := readCorpus(t, tc.file)
			r := split(t, in, Limits{})
			if r.err != nil {
				t.Fatal(r.err)
			}
			if len(r.blocks) != len(tc.blocks) {
				t.Fatalf("%d blocks, want %d", len(r.blocks), len(tc.blocks))
			}
			for i, w := range tc.blocks {
				g := r.blocks[i]
				if g.Name != w.name || !bytes.HasPrefix(g.Data, []byte(w.prefix)) || (g.Err != nil) != w.broken {
					t.Errorf("block %d: %q err %v data %.8q, want %q broken %v data %.8q", i, g.Name, g.Err, g.Data, w.name, w.broken, w.prefix)
				}
				t.Logf("%s: line %d mode %s %q: %d bytes, err %v", filepath.Base(tc.file), g.Line, g.Mode, g.Name, len(g.Data), g.Err)
			}
			if strings.Contains(r.text, "\nbegin 6") {
				t.Errorf("a begin line is left in the text")
			}
			checkIdempotent(t, r.text)
			checkLinesKept(t, in, r.text)
		})
	}
}

// TestCorpusUudecode cross-checks complete blocks with GNU sharutils'
// uudecode (an independent implementation) when it is installed.
func TestCorpusUudecode(t *testing.T) {
	tool, err := exec.LookPath("uudecode")
	if err != nil {
		t.Skip("uudecode not installed (apt-get install sharutils)")
	}
	for _, tc := range corpusMail {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			in := readCorpus(t, tc.file)
			r := split(t, in, Limits{})
			lines := strings.SplitAfter(in, "\n")
			for _, b := range r.blocks {
				if b.Err != nil {
					continue
				}
				// uudecode decodes the first block of its input: give it
				// this block's lines. It needs the zero-length line before
				// "end", which some encoders (and Split) do without.
				block := []string{}
				for _, l := range lines[b.Line-1:] {
					if strings.TrimRight(l, " \t\r\n") == "end" {
						if prev := strings.TrimRight(block[len(block)-1], "\r\n"); prev != "`" && prev != " " {
							block = append(block, "`\n")
						}
						block = append(block, l)
						break
					}
					block = append(block, l)
				}
				cmd := exec.CommandContext(t.Context(), tool, "-o", "/dev/stdout")
				cmd.Stdin = strings.NewReader(strings.Join(block, ""))
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("uudecode %q: %v", b.Name, err)
				}
				if !bytes.Equal(out, b.Data) {
					t.Errorf("%q: uudecode gives %d bytes, Split %d", b.Name, len(out), len(b.Data))
				}
			}
		})
	}
}

// TestUudecodeGenerated cross-checks the test encoder and Split with
// uudecode on generated data, both encodings.
func TestUudecodeGenerated(t *testing.T) {
	tool, err := exec.LookPath("uudecode")
	if err != nil {
		t.Skip("uudecode not installed (apt-get install sharutils)")
	}
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, n := range []int{0, 1, 2, 3, 44, 45, 46, 1000} {
		for _, in := range []string{uuencode("644", "f", data[:n], "\n"), b64encode("644", "f", data[:n], "\n")} {
			r := split(t, in, Limits{})
			if r.err != nil || len(r.blocks) != 1 || r.blocks[0].Err != nil || !bytes.Equal(r.blocks[0].Data, data[:n]) {
				t.Fatalf("n=%d: Split: %v %+v", n, r.err, r.blocks)
			}
			cmd := exec.CommandContext(t.Context(), tool, "-o", "/dev/stdout")
			cmd.Stdin = strings.NewReader(in)
			out, err := cmd.Output()
			if err != nil || !bytes.Equal(out, data[:n]) {
				t.Fatalf("n=%d: uudecode: %v, %d bytes", n, err, len(out))
			}
		}
	}
}

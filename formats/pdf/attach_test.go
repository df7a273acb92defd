package pdf

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// attachEngine is an engine where text is "sanitized" by upper-casing
// the word bad (a Cleaned finding), PDFs are sanitized with opt, and every
// other kind is blocked.
func attachEngine(t *testing.T, opt Options) *sanitize.Engine {
	upper := sanitize.SanitizerFunc(func(_ context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
		b, err := io.ReadAll(it.Src)
		if err != nil {
			return sanitize.Result{}, err
		}
		var res sanitize.Result
		if bytes.Contains(b, []byte("bad")) {
			b = bytes.ReplaceAll(b, []byte("bad"), []byte("BAD"))
			res.Findings = []sanitize.Finding{{Rule: "test.bad", Action: sanitize.Cleaned}}
		}
		_, err = dst.Write(b)
		return res, err
	})
	return &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.PDF: New(opt), detect.Text: upper},
		Mode: func(k sanitize.Kind) sanitize.Mode {
			if k == detect.PDF || k == detect.Text {
				return sanitize.ModeSanitize
			}
			return sanitize.ModeBlock
		},
		TempDir: t.TempDir(),
	}
}

// attachDoc has three embedded files: a harmless text in the name tree,
// an executable in the name tree (in an object stream when objStm), and a
// text that needs cleaning behind a file attachment annotation.
func attachDoc(objStm bool) []byte {
	d := baseDoc("/Names << /EmbeddedFiles << /Names [(note.txt) 6 0 R (tool.exe) 8 0 R] >> >>", "/Annots [10 0 R]").
		set(6, "<< /Type /Filespec /F (note.txt) /UF <FEFF006E006F00740065002E007400780074> /EF << /F 7 0 R /UF 7 0 R >> >>").
		set(7, "<< /Type /EmbeddedFile /Subtype /text#2Fplain /Params << /Size 17 /CheckSum <00> >> /Length 17 >>\nstream\nan ordinary note\n\nendstream").
		set(8, "<< /Type /Filespec /F (tool.exe) /EF << /F 9 0 R >> >>").
		set(9, "<< /Type /EmbeddedFile /Length 64 >>\nstream\nMZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00PE\x00\x00this program cannot be run in DOS mode.....\nendstream").
		set(10, "<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 20 20] /FS << /Type /Filespec /F (C:\\\\tmp\\\\form.txt) /EF << /F 11 0 R >> >> /Contents (form) >>").
		set(11, "<< /Type /EmbeddedFile /Filter /FlateDecode /Length "+strconv.Itoa(len(deflate([]byte("a bad form\n"))))+" >>\nstream\n"+string(deflate([]byte("a bad form\n")))+"\nendstream")
	if objStm {
		return d.objStm()
	}
	return d.bytes()
}

func TestAttachmentsSanitize(t *testing.T) {
	for _, objStm := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "object stream"}[objStm], func(t *testing.T) {
			in := attachDoc(objStm)
			eng := attachEngine(t, Options{Attachments: AttachmentsSanitize})
			rep, blob, err := eng.Run(t.Context(), sanitize.Input{R: bytes.NewReader(in), Name: "a.pdf"})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Outcome != sanitize.OutcomeSanitized {
				t.Fatalf("outcome %s (%s) %+v", rep.Outcome, rep.Error, rep.Findings)
			}
			out := make([]byte, blob.Size())
			blob.ReadAt(out, 0)
			blob.Close()
			var got []string
			for _, f := range rep.Findings {
				got = append(got, f.Rule+":"+f.Action.String())
			}
			slices.Sort(got)
			if want := []string{"pdf.embedded:cleaned", "pdf.embedded:removed"}; !slices.Equal(got, want) {
				t.Errorf("findings %v, want %v", got, want)
			}
			var outcomes []string
			for _, c := range rep.Children {
				outcomes = append(outcomes, c.Input+":"+string(c.Outcome))
			}
			slices.Sort(outcomes)
			if want := []string{"form.txt:sanitized", "note.txt:passed", "tool.exe:blocked"}; !slices.Equal(outcomes, want) {
				t.Errorf("children %v, want %v", outcomes, want)
			}
			// qpdf's view: two attachments with the sanitized content, no
			// executable.
			attachOracle(t, out, map[string]string{"note.txt": "an ordinary note\n"})
			if dump := qdf(t, out); !bytes.Contains(dump, []byte("a BAD form")) || bytes.Contains(dump, []byte("a bad form")) || !bytes.Contains(dump, []byte("/FileAttachment")) {
				t.Error("the annotation's file is not the sanitized one")
			}
			// Sanitizing the output again changes nothing.
			rep2, blob2, err := eng.Run(t.Context(), sanitize.Input{R: bytes.NewReader(out), Name: "a.pdf"})
			if err != nil {
				t.Fatal(err)
			}
			blob2.Close()
			if rep2.Outcome != sanitize.OutcomePassed {
				t.Errorf("second run: %s %+v", rep2.Outcome, rep2.Findings)
			}
		})
	}
}

func TestAttachmentsRemoveByDefault(t *testing.T) {
	out, res, err := run(t, New(Options{}), attachDoc(false))
	if err != nil {
		t.Fatal(err)
	}
	if got := rules(res.Findings); !slices.Equal(got, []string{RuleEmbedded}) {
		t.Errorf("rules %v", got)
	}
	attachOracle(t, out, nil)
}

// Without an engine (the Sanitizer called directly), embedded files
// cannot be sanitized: they are removed.
func TestAttachmentsWithoutEngine(t *testing.T) {
	out, res, err := run(t, New(Options{Attachments: AttachmentsSanitize}), attachDoc(false))
	if err != nil {
		t.Fatal(err)
	}
	if got := rules(res.Findings); !slices.Equal(got, []string{RuleEmbedded}) {
		t.Errorf("rules %v", got)
	}
	attachOracle(t, out, nil)
}

// qdf is qpdf's uncompressed view of pdf; nil without qpdf.
func qdf(t *testing.T, pdf []byte) []byte {
	if _, err := exec.LookPath("qpdf"); err != nil {
		return nil
	}
	f := filepath.Join(t.TempDir(), "q.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	dump, _ := exec.Command("qpdf", "--qdf", "--object-streams=disable", f, "-").Output()
	return dump
}

// attachOracle checks with qpdf that out has exactly the attachments of
// want, with that content, and nothing of the executable.
func attachOracle(t *testing.T, out []byte, want map[string]string) {
	t.Helper()
	if _, err := exec.LookPath("qpdf"); err != nil {
		t.Log("qpdf not installed: oracle skipped")
		return
	}
	f := filepath.Join(t.TempDir(), "out.pdf")
	if err := os.WriteFile(f, out, 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("qpdf", "--check", f).CombinedOutput(); err != nil {
		t.Errorf("qpdf --check: %v\n%s", err, b)
	}
	dump, _ := exec.Command("qpdf", "--qdf", "--object-streams=disable", f, "-").Output()
	for _, bad := range []string{"tool.exe", "This program", "this program", "/CheckSum", "C:"} {
		if bytes.Contains(dump, []byte(bad)) {
			t.Errorf("output still has %q", bad)
		}
	}
	list, _ := exec.Command("qpdf", "--list-attachments", f).Output()
	if len(strings.Fields(string(list))) != 3*len(want) && !(len(want) == 0 && strings.Contains(string(list), "no embedded files")) {
		t.Errorf("attachments: %s, want %d", list, len(want))
	}
	if want == nil {
		if bytes.Contains(dump, []byte("/FileAttachment")) || bytes.Contains(dump, []byte("/EmbeddedFile")) {
			t.Error("output still has embedded files")
		}
		return
	}
	for name, content := range want {
		b, err := exec.Command("qpdf", "--show-attachment="+name, f).Output()
		if err != nil {
			t.Errorf("qpdf --show-attachment=%s: %v (list: %s)", name, err, list)
			continue
		}
		if string(b) != content {
			t.Errorf("attachment %s = %q, want %q", name, b, content)
		}
	}
}

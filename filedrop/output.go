package filedrop

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/mugai-project/mugai/sanitize"
)

// reportSuffix is appended to an output's name for its report.
func (f *folder) reportSuffix() string {
	if f.Report == "json" {
		return ".mugai.json"
	}
	return ".mugai.txt"
}

// dirMode is mode with x added wherever r is set.
func dirMode(m os.FileMode) os.FileMode { return m | (m&0o444)>>2 }

// place writes what crosses into the outbox: the output (unless blocked)
// under a safe, unique name, then the report beside it, and records both
// names in the job; the temp file stays until finish.
//
// The first file (the output, or for a blocked input the report) is written
// to a temp file named after the claim, fsynced, and then hard-linked under
// its final name, which fails rather than replace a file that exists: two
// inputs of the same name (or two nodes) never overwrite each other, and
// the loser tries name_2, name_3… If the process dies after the link but
// before the sidecar records the name, the temp file has two links; the
// next attempt finds the other name by its inode instead of writing a
// second copy. The temp file is therefore removed only after the claim (see
// finish). The report is then written with temp file and rename.
func (s *Service) place(j *job, rep *sanitize.Report, out *sanitize.Blob) error {
	f := j.f
	name := path.Base(j.st.Rel)
	relDir := ""
	if d := path.Dir(j.st.Rel); d != "." {
		relDir = sanitize.CleanName(d)
	}
	dir := filepath.Join(f.Outbox, relDir)
	if err := os.MkdirAll(dir, dirMode(f.Mode)); err != nil {
		return err
	}
	if relDir != "" && f.Group > 0 {
		os.Chown(dir, -1, f.Group)
	}
	blocked := rep.Outcome == sanitize.OutcomeBlocked || out == nil
	var target string
	if blocked {
		target = sanitize.CleanName(name)
	} else {
		k := rep.OutputType
		if k == "" {
			k = rep.Detected
		}
		target = sanitize.OutputName(name, k)
	}
	suffix := f.reportSuffix()
	tmp := filepath.Join(dir, tmpPrefix+j.id+".tmp")

	// The output (or the blocked input's report) under a unique name.
	placed, err := linkedName(tmp, dir)
	if err != nil {
		return err
	}
	if placed == "" {
		var body func(io.Writer) error
		if blocked {
			body = func(w io.Writer) error { return s.writeReport(w, j, rep, "") }
		} else {
			body = func(w io.Writer) error { _, err := copyTo(w, out.Reader()); return err }
		}
		if err := s.writeTemp(f, tmp, body); err != nil {
			return err
		}
		for i := 1; ; i++ {
			cand := numbered(target, i)
			if exists(filepath.Join(dir, cand)) || exists(filepath.Join(dir, cand+suffix)) {
				continue
			}
			final := cand
			if blocked {
				final = cand + suffix
			}
			err := os.Link(tmp, filepath.Join(dir, final))
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			if err != nil {
				os.Remove(tmp)
				return err
			}
			placed = final
			break
		}
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	outcome := rep.Outcome
	if blocked {
		outcome = sanitize.OutcomeBlocked
		j.st.Report = path.Join(relDir, placed)
	} else {
		j.st.Output = path.Join(relDir, placed)
		rep.Outputs = []string{j.st.Output}
		rtmp := filepath.Join(dir, tmpPrefix+j.id+".rpt.tmp")
		if err := s.writeTemp(f, rtmp, func(w io.Writer) error { return s.writeReport(w, j, rep, placed) }); err != nil {
			return err
		}
		if err := os.Rename(rtmp, filepath.Join(dir, placed+suffix)); err != nil {
			os.Remove(rtmp)
			return err
		}
		if err := syncDir(dir); err != nil {
			return err
		}
		j.st.Report = path.Join(relDir, placed+suffix)
	}
	j.st.Outcome = string(outcome)
	j.tmp = tmp
	return nil
}

// numbered returns name for i == 1, else name with "_i" before its
// extension ("報告書.pdf" → "報告書_2.pdf").
func numbered(name string, i int) string {
	if i == 1 {
		return name
	}
	ext := path.Ext(name)
	if ext == name || len(ext) > 16 {
		ext = ""
	}
	return fmt.Sprintf("%s_%d%s", strings.TrimSuffix(name, ext), i, ext)
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// linkedName returns the name in dir that shares tmp's inode when an earlier
// attempt linked tmp into place; "" when tmp does not exist (or was never
// linked, in which case it is removed).
func linkedName(tmp, dir string) (string, error) {
	fi, err := os.Lstat(tmp)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if sysInfo(fi).nlink < 2 {
		return "", os.Remove(tmp)
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".") {
			continue
		}
		if other, err := os.Lstat(filepath.Join(dir, de.Name())); err == nil && os.SameFile(fi, other) {
			return de.Name(), nil
		}
	}
	return "", os.Remove(tmp)
}

// writeTemp creates path (which must not exist), writes body, sets the mode
// and group, and fsyncs it. On error the file is removed.
func (s *Service) writeTemp(f *folder, p string, body func(io.Writer) error) (err error) {
	// A stale temp file from a crash goes first; then the name is created
	// afresh (O_EXCL never follows a symlink someone planted in the
	// outbox under a guessable temp name).
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	w, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			w.Close()
			os.Remove(p)
		}
	}()
	if err = body(w); err != nil {
		return err
	}
	if err = w.Chmod(f.Mode); err != nil {
		return err
	}
	if f.Group > 0 {
		if err = w.Chown(-1, f.Group); err != nil {
			return err
		}
	}
	if err = w.Sync(); err != nil {
		return err
	}
	return w.Close()
}

// writeReport writes the report of j in the folder's format; output is the
// output's name in the same directory ("" when nothing crossed).
func (s *Service) writeReport(w io.Writer, j *job, rep *sanitize.Report, output string) error {
	var b bytes.Buffer
	if j.f.Report == "json" {
		jr := jsonReport{
			Folder: j.f.Name, Input: j.st.Rel, Received: j.st.Claimed.In(s.loc()).Format("2006-01-02T15:04:05.000Z07:00"),
			Outcome: rep.Outcome, Output: output, QuarantineID: j.st.QID, Refused: j.st.Refused, Report: rep,
		}
		enc := jsonEncoder(&b)
		if err := enc.Encode(&jr); err != nil {
			return err
		}
	} else {
		textReport(&b, j, rep, output, j.f.Report, s.loc())
	}
	_, err := w.Write(b.Bytes())
	return err
}

// loc is the time zone of the times in reports.
func (s *Service) loc() *time.Location {
	if s.cfg.Location != nil {
		return s.cfg.Location
	}
	return time.Local
}

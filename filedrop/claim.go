package filedrop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/sanitize"
)

// The work folder (Folder.Work) holds, for each process, a claim folder
// named <node>.<pid> and its lock file <node>.<pid>.lock, locked while the
// process runs. Each claimed file gets its own directory there:
//
//	<work>/<node>.<pid>/<claim ID>/state.json   the sidecar (written first)
//	<work>/<node>.<pid>/<claim ID>/input        the dropped file, renamed in
//
// and refused files are kept under <work>/refused/ for an operator.

const (
	stateFile   = "state.json"
	inputFile   = "input"
	refusedDir  = "refused"
	tmpPrefix   = ".mugai-"
	stateTmpExt = ".tmp"
)

// state is the sidecar of one claim, written when the file is claimed (and
// when it is refused). The later steps find their own traces after a
// restart — the kept item by its claim token, the placed output by the
// inode of its temp file — so that they cost no further file creation;
// the fields after Refused are kept in memory for retries.
type state struct {
	Rel      string    `json:"rel"`     // path in the inbox ("総務課/a.pdf")
	Claimed  time.Time `json:"claimed"` // when it was claimed
	Size     int64     `json:"size"`    // lstat at claim time
	MTime    time.Time `json:"mtime"`
	Refused  string    `json:"refused,omitempty"` // rule ID: refused unread
	QID      string    `json:"qid,omitempty"`     // the kept original
	SHA256   string    `json:"sha256,omitempty"`
	Output   string    `json:"output,omitempty"` // relative to the outbox
	Report   string    `json:"report,omitempty"` // relative to the outbox
	Outcome  string    `json:"outcome,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
}

// job is one claim being processed.
type job struct {
	f       *folder
	id      string // claim ID (directory name)
	dir     string // the claim directory
	st      state
	resumed bool
	tries   int              // attempts in this process
	tmp     string           // temp file of the placed output, removed by finish
	rep     *sanitize.Report // the engine's report, for a retry of settle
}

func (j *job) statePath() string { return filepath.Join(j.dir, stateFile) }
func (j *job) inputPath() string { return filepath.Join(j.dir, inputFile) }

// save writes the sidecar durably: temp file, fsync, rename, fsync of the
// claim directory.
func (j *job) save() error {
	raw, err := json.Marshal(&j.st)
	if err != nil {
		return err
	}
	return writeDurable(j.statePath(), raw)
}

func writeDurable(path string, data []byte) error {
	tmp := path + stateTmpExt
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	d.Close()
	return err
}

// claimSeq numbers the claims of this process (all its Services).
var claimSeq atomic.Uint64

// newClaimID returns a claim ID unique across the nodes sharing a folder:
// time, node, pid and a sequence number. Temp files in the outbox, which
// nodes may share, are named after it.
func (s *Service) newClaimID() string {
	return fmt.Sprintf("%s-%s-%d-%06d", s.cfg.Now().UTC().Format("20060102T150405.000"), safeNode(s.cfg.Node), os.Getpid(), claimSeq.Add(1))
}

// claim takes the candidate: the sidecar is written first, then the file is
// renamed from the inbox into the claim directory. Only one of several
// nodes renaming the same file succeeds; the others get ErrNotExist and
// return (nil, nil). A crash between the two steps leaves a sidecar
// without an input, which recovery removes.
func (s *Service) claim(c candidate) (*job, error) {
	f := c.f
	id := s.newClaimID()
	j := &job{f: f, id: id, dir: filepath.Join(f.ownDir, id)}
	j.st = state{Rel: c.rel, Claimed: s.cfg.Now(), Size: c.fi.Size(), MTime: c.fi.ModTime()}
	if err := os.Mkdir(j.dir, 0o750); err != nil {
		return nil, err
	}
	if err := j.save(); err != nil {
		os.RemoveAll(j.dir)
		return nil, err
	}
	src := filepath.Join(f.Inbox, filepath.FromSlash(c.rel))
	if err := os.Rename(src, j.inputPath()); err != nil {
		os.RemoveAll(j.dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil // another node took it, or it was deleted
		}
		return nil, err
	}
	if err := syncDir(j.dir); err != nil {
		return j, err
	}
	syncDir(filepath.Dir(src))
	return j, nil
}

// recover resumes the claims left by an earlier run of this node: its own
// claim folder (a restarted process has a new pid, so that is empty) and
// the claim folders of this node whose lock is free, meaning their process
// is gone. Each claim directory is moved into ours with one rename, so two
// processes recovering at once cannot both take it. Claims of other nodes
// are left to them.
func (s *Service) recover(ctx context.Context, f *folder) {
	des, err := os.ReadDir(f.Work)
	if err != nil {
		s.log.Error("file drop: cannot read the work folder", "folder", f.Name, "err", err)
		return
	}
	prefix := safeNode(s.cfg.Node) + "."
	for _, de := range des {
		name := de.Name()
		if !de.IsDir() || name == s.owner || !strings.HasPrefix(name, prefix) {
			continue
		}
		if _, err := strconv.Atoi(strings.TrimPrefix(name, prefix)); err != nil {
			continue
		}
		lockPath := filepath.Join(f.Work, name+".lock")
		lf, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o640)
		if err != nil {
			continue
		}
		ok, _ := tryLock(lf)
		if !ok {
			lf.Close()
			continue // still running
		}
		deadDir := filepath.Join(f.Work, name)
		claims, _ := os.ReadDir(deadDir)
		for _, c := range claims {
			if c.IsDir() {
				if err := os.Rename(filepath.Join(deadDir, c.Name()), filepath.Join(f.ownDir, c.Name())); err != nil {
					s.log.Error("file drop: cannot take over a claim", "folder", f.Name, "claim", c.Name(), "err", err)
				}
			}
		}
		if err := os.Remove(deadDir); err == nil {
			os.Remove(lockPath)
		}
		lf.Close()
	}
	syncDir(f.ownDir)
	claims, _ := os.ReadDir(f.ownDir)
	defer s.sweep(f) // after the finished claims below are removed
	for _, c := range claims {
		if !c.IsDir() {
			continue
		}
		j := &job{f: f, id: c.Name(), dir: filepath.Join(f.ownDir, c.Name()), resumed: true}
		raw, err := os.ReadFile(j.statePath())
		if err == nil {
			err = json.Unmarshal(raw, &j.st)
		}
		if err != nil {
			if _, ierr := os.Lstat(j.inputPath()); ierr != nil {
				os.RemoveAll(j.dir) // an interrupted claim: nothing in it
				continue
			}
			// The input without a readable sidecar: its name is lost,
			// not the file.
			s.log.Error("file drop: claim without a sidecar; resuming under a generic name", "folder", f.Name, "claim", j.id, "err", err)
			fi, _ := os.Lstat(j.inputPath())
			j.st = state{Rel: "file", Claimed: s.cfg.Now()}
			if fi != nil {
				j.st.Size, j.st.MTime = fi.Size(), fi.ModTime()
			}
		}
		if _, err := os.Lstat(j.inputPath()); errors.Is(err, fs.ErrNotExist) && j.st.Refused == "" {
			// Either the rename never happened (the file is still in the
			// inbox, or another node won it), or the claim was finished
			// and only its removal was cut short, or the input was deleted
			// behind our back. Only the last leaves a kept original not
			// yet delivered: finish that one from the quarantine.
			m, ok := s.findKept(ctx, j)
			if !ok || m.Delivery == quarantine.DeliveryDelivered || m.Delivery == quarantine.DeliveryBlocked {
				os.RemoveAll(j.dir)
				continue
			}
			j.st.QID, j.st.SHA256 = m.ID, m.SHA256
		}
		s.log.Info("file drop: resuming", "folder", f.Name, "claim", j.id, "input", j.st.Rel, "qid", j.st.QID)
		select {
		case s.retry <- j:
		case <-ctx.Done():
			return
		default:
			s.later(j, 0)
		}
	}
}

// later re-queues j after d.
func (s *Service) later(j *job, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		delete(s.timers, t)
		s.mu.Unlock()
		select {
		case s.retry <- j:
		case <-s.stop:
		}
	})
	s.timers[t] = struct{}{}
}

// sweep removes the temp files left in the outbox by a process killed
// between the removal of a claim and that of its temp file. A temp file is
// named after its claim, and a claim directory exists from before its temp
// file is created until before it is removed. So, listing the temp files
// first and the claims second, a temp file whose claim is in no claim
// folder of the work folder (of any node) is an orphan, or one about to be
// removed anyway.
func (s *Service) sweep(f *folder) {
	dirs := []string{f.Outbox}
	if des, err := os.ReadDir(f.Outbox); err == nil {
		for _, de := range des {
			if de.IsDir() {
				dirs = append(dirs, filepath.Join(f.Outbox, de.Name()))
			}
		}
	}
	tmps := map[string]string{} // path → claim ID
	for _, dir := range dirs {
		des, _ := os.ReadDir(dir)
		for _, de := range des {
			name := de.Name()
			if strings.HasPrefix(name, tmpPrefix) && strings.HasSuffix(name, ".tmp") {
				tmps[filepath.Join(dir, name)] = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(name, tmpPrefix), ".tmp"), ".rpt")
			}
		}
	}
	if len(tmps) == 0 {
		return
	}
	live := map[string]bool{}
	owners, _ := os.ReadDir(f.Work)
	for _, o := range owners {
		if !o.IsDir() {
			continue
		}
		claims, _ := os.ReadDir(filepath.Join(f.Work, o.Name()))
		for _, c := range claims {
			live[c.Name()] = true
		}
	}
	for p, id := range tmps {
		if !live[id] {
			os.Remove(p)
		}
	}
}

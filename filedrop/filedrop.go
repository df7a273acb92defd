package filedrop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/mugai-project/mugai/quarantine"
	"github.com/mugai-project/mugai/sanitize"
)

// Folder is one watched inbox and its outbox.
type Folder struct {
	// Name in logs, reports and the audit log; default the inbox path.
	Name string
	// Inbox is watched; Outbox receives outputs and reports; Work holds
	// claimed files and must be on the inbox's file system (default
	// "<Inbox>/.mugai-work"). All three are created when missing.
	Inbox, Outbox, Work string
	// Subfolders mirrors one level of per-department folders.
	Subfolders bool
	// StableTime: a file is taken once its size and modification time have
	// not changed for this long. Zero takes it at the first look (tests).
	StableTime time.Duration
	// Rescan interval of full scans besides events; default 30s.
	Rescan time.Duration
	// Report format: "ja" (default), "en" or "json".
	Report string
	// Mode of outputs and reports; default 0644. Directories created in
	// the outbox get the same mode with x added where r is set.
	Mode os.FileMode
	// Group (gid) owning outputs and reports; 0 leaves the service's.
	Group int
	// MaxInput: larger files are blocked with a report and not read.
	// Default sanitize.DefaultMaxInput.
	MaxInput int64
	// Engine judges and sanitizes the folder's files (required).
	Engine *sanitize.Engine
}

// Config configures the Service. Zero fields take the defaults.
type Config struct {
	Folders []Folder
	// Workers processing files at once, over all folders; default 2.
	Workers int
	// RetryMin and RetryMax bound the backoff after a failed attempt;
	// defaults 5s and 5m.
	RetryMin, RetryMax time.Duration
	// Node names this process in claim names; default the host name.
	Node string
	// Hostname for the trace of each item; default the host name.
	Hostname string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Location is the time zone of the times in reports; default
	// time.Local (serve passes log.timezone, Asia/Tokyo by default).
	Location *time.Location
	// OnDone, if set, is called after each claim is finished (tests).
	OnDone func(Result)
	// Observe, if set, is called after each run of the engine with its
	// report (nil with an error) and duration: the metrics hook.
	Observe func(rep *sanitize.Report, err error, d time.Duration)
}

// Result is what became of one dropped file; given to Config.OnDone.
type Result struct {
	Folder   string
	Node     string // the node that processed it
	Input    string // path relative to the inbox
	Outcome  sanitize.Outcome
	Output   string // path of the output, "" when blocked
	Report   string // path of the report
	QID      string // quarantine ID; "" when the input was refused unread
	Refused  string // rule ID when refused unread
	Resumed  bool   // recovered from the work folder after a restart
	Attempts int
}

// Service watches the folders and processes what is dropped there. Create
// it with New, run it with Run once.
type Service struct {
	cfg     Config
	folders []*folder
	store   quarantine.Store
	audit   quarantine.Audit
	log     *slog.Logger
	owner   string // <node>.<pid>: this process's claim folder name

	work  chan candidate
	retry chan *job
	stop  chan struct{} // closed when Run's context is done

	mu     sync.Mutex
	timers map[*time.Timer]struct{}
}

type folder struct {
	Folder
	ownDir string   // <Work>/<owner>
	lock   *os.File // <Work>/<owner>.lock, held while running
}

type candidate struct {
	f   *folder
	rel string // relative to the inbox, with "/" between department and name
	fi  os.FileInfo
}

// New checks the folders, creates the missing directories and takes this
// process's claim folder in each work folder. The caller runs the Service
// with Run, which releases what New took.
func New(cfg Config, store quarantine.Store, audit quarantine.Audit, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = 5 * time.Second
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(5*time.Minute, cfg.RetryMin)
	}
	host, _ := os.Hostname()
	if cfg.Node == "" {
		cfg.Node = host
	}
	if cfg.Hostname == "" {
		cfg.Hostname = host
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{
		cfg: cfg, store: store, audit: audit, log: log,
		owner:  safeNode(cfg.Node) + "." + strconv.Itoa(os.Getpid()),
		work:   make(chan candidate),
		retry:  make(chan *job, 64),
		stop:   make(chan struct{}),
		timers: map[*time.Timer]struct{}{},
	}
	for _, f := range cfg.Folders {
		if f.Engine == nil || f.Inbox == "" || f.Outbox == "" {
			s.release()
			return nil, errors.New("filedrop: a folder needs an inbox, an outbox and an engine")
		}
		if f.Name == "" {
			f.Name = f.Inbox
		}
		if f.Work == "" {
			f.Work = filepath.Join(f.Inbox, ".mugai-work")
		}
		if f.Rescan <= 0 {
			f.Rescan = 30 * time.Second
		}
		if f.Mode == 0 {
			f.Mode = 0o644
		}
		if f.MaxInput <= 0 {
			f.MaxInput = sanitize.DefaultMaxInput
		}
		if f.Report == "" {
			f.Report = "ja"
		}
		fd := &folder{Folder: f, ownDir: filepath.Join(f.Work, s.owner)}
		for _, d := range []string{f.Inbox, f.Outbox, f.Work} {
			if err := os.MkdirAll(d, 0o750); err != nil {
				s.release()
				return nil, fmt.Errorf("filedrop: %s: %w", f.Name, err)
			}
		}
		// The lock first, then the claim folder: another process of this
		// node that finds the folder finds it locked (recover looks at
		// folders only).
		lf, err := os.OpenFile(fd.ownDir+".lock", os.O_RDWR|os.O_CREATE, 0o640)
		if err != nil {
			s.release()
			return nil, fmt.Errorf("filedrop: %s: %w", f.Name, err)
		}
		if ok, err := tryLock(lf); !ok && err != nil {
			lf.Close()
			s.release()
			return nil, fmt.Errorf("filedrop: %s: lock: %w", f.Name, err)
		}
		fd.lock = lf
		s.folders = append(s.folders, fd)
		if err := os.MkdirAll(fd.ownDir, 0o750); err != nil {
			s.release()
			return nil, fmt.Errorf("filedrop: %s: %w", f.Name, err)
		}
	}
	return s, nil
}

// safeNode keeps a node name usable in a file name.
func safeNode(n string) string {
	n = strings.Map(func(r rune) rune {
		if r == '.' || r == '/' || r == '\\' || r < 0x21 || r > 0x7e {
			return '-'
		}
		return r
	}, n)
	if n == "" {
		n = "node"
	}
	return n
}

// release drops the locks; an empty claim folder goes with its lock file
// (one with claims left stays for the next run of this node).
func (s *Service) release() {
	for _, f := range s.folders {
		if f.lock != nil {
			if os.Remove(f.ownDir) == nil {
				os.Remove(f.ownDir + ".lock")
			}
			f.lock.Close()
			f.lock = nil
		}
	}
}

// Run recovers the claims left in the work folders by an earlier run of this
// node, then watches and processes until ctx is done. It then lets the files
// being processed finish (their engine runs are not cancelled) and returns.
// Files claimed but not finished stay in the work folder for the next run.
func (s *Service) Run(ctx context.Context) error {
	defer s.release()
	go func() {
		<-ctx.Done()
		close(s.stop)
	}()
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.worker(ctx)
		}()
	}
	for _, f := range s.folders {
		s.recover(ctx, f)
	}
	var swg sync.WaitGroup
	for _, f := range s.folders {
		swg.Add(1)
		go func() {
			defer swg.Done()
			s.scanner(ctx, f)
		}()
	}
	swg.Wait()
	s.mu.Lock()
	for t := range s.timers {
		t.Stop()
	}
	s.mu.Unlock()
	wg.Wait()
	return nil
}

// ignored reports names the service leaves alone: hidden files (including
// its own work folder and temp files), Office lock files and the partial
// downloads of browsers, which are renamed to their real name when
// complete.
func ignored(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") {
		return true
	}
	lower := strings.ToLower(name)
	for _, suf := range []string{".crdownload", ".part", ".partial", ".download", ".tmp"} {
		if strings.HasSuffix(lower, suf) {
			return true
		}
	}
	return false
}

// entry tracks a file seen in the inbox until it is complete.
type entry struct {
	size   int64
	mtime  time.Time
	since  time.Time // when size and mtime were first seen as they are
	queued bool
}

// scanner watches one folder: file system events and periodic rescans
// find files, stability decides when each is complete, and complete files
// go to the workers, which claim them.
func (s *Service) scanner(ctx context.Context, f *folder) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		s.log.Warn("file drop: no file system events; rescanning only", "folder", f.Name, "err", err)
		w = nil
	}
	var events chan fsnotify.Event
	var errs chan error
	if w != nil {
		defer w.Close()
		events, errs = w.Events, w.Errors
		if err := w.Add(f.Inbox); err != nil {
			s.log.Warn("file drop: cannot watch the inbox; rescanning only", "folder", f.Name, "err", err)
		}
	}
	watched := map[string]bool{}
	known := map[string]*entry{}
	var ready []candidate

	look := func(rel string) {
		if e := known[rel]; e != nil && e.queued {
			return
		}
		path := filepath.Join(f.Inbox, filepath.FromSlash(rel))
		fi, err := os.Lstat(path)
		if err != nil {
			delete(known, rel)
			return
		}
		if fi.IsDir() {
			if f.Subfolders && !strings.Contains(rel, "/") && w != nil && !watched[rel] {
				if err := w.Add(path); err == nil {
					watched[rel] = true
				}
			}
			return
		}
		now := s.cfg.Now()
		if !fi.Mode().IsRegular() || sysInfo(fi).nlink > 1 || fi.Size() > f.MaxInput {
			// Refused without reading: no need to wait.
			known[rel] = &entry{queued: true}
			ready = append(ready, candidate{f: f, rel: rel, fi: fi})
			return
		}
		e := known[rel]
		if e == nil || e.size != fi.Size() || !e.mtime.Equal(fi.ModTime()) {
			e = &entry{size: fi.Size(), mtime: fi.ModTime(), since: now}
			known[rel] = e
		}
		if complete(fi, e, now, f.StableTime) {
			e.queued = true
			ready = append(ready, candidate{f: f, rel: rel, fi: fi})
		}
	}
	scanDir := func(rel string) {
		dir := filepath.Join(f.Inbox, filepath.FromSlash(rel))
		des, err := os.ReadDir(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				s.log.Error("file drop: cannot read the inbox", "folder", f.Name, "dir", dir, "err", err)
			}
			return
		}
		for _, de := range des {
			if ignored(de.Name()) {
				continue
			}
			r := de.Name()
			if rel != "" {
				r = rel + "/" + r
			}
			if de.IsDir() {
				if f.Subfolders && rel == "" {
					look(r) // watch it
				}
				continue
			}
			look(r)
		}
	}
	rescan := func() {
		seen := map[string]bool{}
		for rel := range known {
			seen[rel] = false
		}
		scanDir("")
		if f.Subfolders {
			des, _ := os.ReadDir(f.Inbox)
			for _, de := range des {
				if de.IsDir() && !ignored(de.Name()) {
					scanDir(de.Name())
				}
			}
		}
		// Forget what is gone (claimed by another node, deleted).
		for rel, e := range known {
			if e.queued {
				continue
			}
			if _, err := os.Lstat(filepath.Join(f.Inbox, filepath.FromSlash(rel))); err != nil {
				delete(known, rel)
			}
		}
	}
	relOf := func(path string) (string, bool) {
		rel, err := filepath.Rel(f.Inbox, path)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			return "", false
		}
		rel = filepath.ToSlash(rel)
		parts := strings.Split(rel, "/")
		for _, p := range parts {
			if ignored(p) {
				return "", false
			}
		}
		if len(parts) > 2 || (len(parts) == 2 && !f.Subfolders) {
			return "", false
		}
		return rel, true
	}

	rescan()
	tick := time.NewTicker(f.Rescan)
	defer tick.Stop()
	stable := time.NewTimer(time.Hour)
	defer stable.Stop()
	for {
		// Wake up when the next pending file may have become stable.
		var next time.Time
		for _, e := range known {
			if !e.queued {
				if t := e.since.Add(f.StableTime); next.IsZero() || t.Before(next) {
					next = t
				}
			}
		}
		if !next.IsZero() {
			stable.Reset(max(time.Until(next)+10*time.Millisecond, 10*time.Millisecond))
		}
		var out chan candidate
		var head candidate
		if len(ready) > 0 {
			out, head = s.work, ready[0]
		}
		select {
		case <-ctx.Done():
			return
		case out <- head:
			ready = ready[1:]
			delete(known, head.rel)
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				if rel, ok := relOf(ev.Name); ok && known[rel] != nil && !known[rel].queued {
					delete(known, rel)
				}
				continue
			}
			if rel, ok := relOf(ev.Name); ok {
				look(rel)
				if f.Subfolders && !strings.Contains(rel, "/") && watched[rel] && ev.Has(fsnotify.Create) {
					scanDir(rel) // files moved in with a new department folder
				}
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			// An overflow loses events; the rescan finds the files.
			s.log.Warn("file drop: watcher error; rescanning", "folder", f.Name, "err", err)
			rescan()
		case <-tick.C:
			rescan()
		case <-stable.C:
			for rel, e := range known {
				if !e.queued {
					look(rel)
				}
			}
		}
	}
}

// complete reports whether a regular file may be taken: its size and
// modification time have not changed for stable, or its status changed
// after its last write (ctime later than mtime), which is what a rename
// into the inbox (IN_MOVED_TO), a copy that sets the time at the end
// (cp -p, rsync, robocopy) or a chmod does — a writer still writing moves
// mtime and ctime together.
func complete(fi os.FileInfo, e *entry, now time.Time, stable time.Duration) bool {
	if now.Sub(e.since) >= stable {
		return true
	}
	ct := sysInfo(fi).ctime
	return !ct.IsZero() && ct.After(fi.ModTime())
}

package smtpd

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// maildir delivers into a Maildir (tmp/, new/, cur/): each message is
// written to tmp/, fsynced, and renamed into new/, and new/ is fsynced, so a
// reader never sees a partial message and a crash loses nothing acknowledged.
type maildir struct {
	dir  string
	host string
	seq  atomic.Uint64
}

func openMaildir(dir string) (*maildir, error) {
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return nil, fmt.Errorf("smtpd: outbox: %w", err)
		}
	}
	host, _ := os.Hostname()
	host = strings.NewReplacer("/", "\\057", ":", "\\072").Replace(host)
	return &maildir{dir: dir, host: host}, nil
}

// deliver writes msg with a Return-Path line for the envelope sender and
// returns the new file's name.
func (m *maildir) deliver(from string, msg io.Reader) (name string, err error) {
	name = fmt.Sprintf("%d.M%dP%dQ%d.%s", time.Now().Unix(), time.Now().Nanosecond()/1000, os.Getpid(), m.seq.Add(1), m.host)
	tmp := filepath.Join(m.dir, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return "", fmt.Errorf("smtpd: outbox: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = fmt.Fprintf(f, "Return-Path: <%s>\r\n", oneLine(from)); err != nil {
		return "", err
	}
	if _, err = io.Copy(f, msg); err != nil {
		return "", err
	}
	if err = f.Sync(); err != nil {
		return "", err
	}
	if err = f.Close(); err != nil {
		return "", err
	}
	newDir := filepath.Join(m.dir, "new")
	if err = os.Rename(tmp, filepath.Join(newDir, name)); err != nil {
		return "", err
	}
	d, err := os.Open(newDir)
	if err != nil {
		return "", err
	}
	defer d.Close()
	if err = d.Sync(); err != nil {
		return "", err
	}
	return name, nil
}

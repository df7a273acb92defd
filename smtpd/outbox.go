package smtpd

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// maildir delivers the relay's cleared mail into a Maildir.
type maildir struct{ dir string }

func openMaildir(dir string) (*maildir, error) {
	if err := makeMaildir(dir); err != nil {
		return nil, fmt.Errorf("smtpd: outbox: %w", err)
	}
	return &maildir{dir: dir}, nil
}

// deliver writes msg with a Return-Path line for the envelope sender and
// returns the new file's name.
func (m *maildir) deliver(from string, msg io.Reader) (string, error) {
	path, err := WriteMaildir(m.dir, func(w io.Writer) error {
		if _, err := fmt.Fprintf(w, "Return-Path: <%s>\r\n", oneLine(from)); err != nil {
			return err
		}
		_, err := io.Copy(w, msg)
		return err
	})
	return filepath.Base(path), err
}

func makeMaildir(dir string) error {
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return err
		}
	}
	return nil
}

// WriteMaildir writes one message into the Maildir dir (created with tmp,
// new and cur when missing) the way the convention asks: write produces it
// into tmp/<unique>, which is fsynced and renamed into new/, and new/ is
// fsynced. So a reader never sees a partial message, a crash loses nothing
// that was acknowledged, and a failed write leaves nothing in new/. It
// returns the delivered file's path. Safe for concurrent use, also by
// several processes on one Maildir.
func WriteMaildir(dir string, write func(io.Writer) error) (_ string, err error) {
	if err := makeMaildir(dir); err != nil {
		return "", err
	}
	name := maildirName(time.Now())
	tmp := filepath.Join(dir, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 32<<10)
	if err = write(bw); err != nil {
		return "", err
	}
	if err = bw.Flush(); err != nil {
		return "", err
	}
	if err = f.Sync(); err != nil {
		return "", err
	}
	if err = f.Close(); err != nil {
		return "", err
	}
	newDir := filepath.Join(dir, "new")
	dst := filepath.Join(newDir, name)
	if err = os.Rename(tmp, dst); err != nil {
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
	return dst, nil
}

var maildirSeq atomic.Uint64

// maildirName is a unique file name: seconds, microseconds, process ID, a
// counter and random bits (several processes in one microsecond), then the
// host name with "/" and ":" escaped as the convention asks.
func maildirName(now time.Time) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	host = strings.NewReplacer("/", `\057`, ":", `\072`).Replace(host)
	var r [4]byte
	_, _ = rand.Read(r[:])
	return fmt.Sprintf("%d.M%dP%dQ%dR%s.%s", now.Unix(), now.Nanosecond()/1000, os.Getpid(),
		maildirSeq.Add(1), hex.EncodeToString(r[:]), host)
}

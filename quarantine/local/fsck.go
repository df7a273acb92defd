package local

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

// FsckOptions say how much Fsck checks and whether it repairs.
type FsckOptions struct {
	// Full also walks every blob: unreferenced blobs are removed and items
	// whose blob is missing are reported, and side-table rows without an
	// item are removed. It holds the write lock for the whole walk.
	Full bool
	// DryRun reports what would be removed or restored and changes
	// nothing.
	DryRun bool
	// Grace leaves temp files and unreferenced blobs modified less than
	// this long ago alone (a Put in flight in another process); 0 means
	// DefaultGrace, a negative value none.
	Grace time.Duration
}

// FsckReport says what Fsck found. Paths are relative to the store
// directory.
type FsckReport struct {
	Removed  []string // crash leftovers removed (with DryRun: to remove)
	Restored []string // blobs moved back from trash/ (with DryRun: to move)
	Problems []string // what Fsck cannot repair, such as items whose blob is missing
}

// Fsck cleans up after crashes: temp files of Puts that never finished
// (and the blobs they had linked but not committed), blobs left in trash/
// by an interrupted Delete or Purge (moved back if still referenced), and
// with Full, every unreferenced blob. Open runs it without Full. It is safe
// to run while other goroutines and processes use the store.
func (s *Store) Fsck(ctx context.Context, o FsckOptions) (FsckReport, error) {
	if o.Grace == 0 {
		o.Grace = DefaultGrace
	}
	var rep FsckReport
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		f := fsck{s: s, tx: tx, ctx: ctx, o: o, rep: &rep, now: time.Now()}
		if err := f.tmp(); err != nil {
			return err
		}
		if err := f.trash(); err != nil {
			return err
		}
		if o.Full {
			if err := f.blobs(); err != nil {
				return err
			}
			return f.rows()
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("local: fsck: %w", dbErr(err))
	}
	for _, r := range rep.Removed {
		s.log.Info("quarantine: fsck removed", "file", r, "dry_run", o.DryRun)
	}
	for _, r := range rep.Restored {
		s.log.Warn("quarantine: fsck restored a blob from trash", "file", r, "dry_run", o.DryRun)
	}
	for _, p := range rep.Problems {
		s.log.Error("quarantine: fsck", "problem", p)
	}
	return rep, nil
}

type fsck struct {
	s   *Store
	tx  *sql.Tx
	ctx context.Context
	o   FsckOptions
	rep *FsckReport
	now time.Time
}

func (f *fsck) young(fi fs.FileInfo) bool {
	return f.o.Grace > 0 && f.now.Sub(fi.ModTime()) < f.o.Grace
}

func (f *fsck) referenced(sum string) (bool, error) {
	var ok bool
	err := f.tx.QueryRowContext(f.ctx, `SELECT EXISTS (SELECT 1 FROM items WHERE sha256 = ?)`, sum).Scan(&ok)
	return ok, err
}

func (f *fsck) remove(name string) {
	if !f.o.DryRun {
		if err := f.s.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			f.rep.Problems = append(f.rep.Problems, fmt.Sprintf("%s: cannot remove: %v", name, err))
			return
		}
	}
	f.rep.Removed = append(f.rep.Removed, name)
}

// tmp handles temp files: a Put that crashed while writing left a lone
// file; one that crashed after linking its blob into place and before the
// commit left the temp name of an unreferenced blob; one that crashed after
// the commit, the temp name of a referenced blob.
func (f *fsck) tmp() error {
	ents, err := f.s.root.FS().(fs.ReadDirFS).ReadDir("tmp")
	if err != nil {
		return err
	}
	for _, de := range ents {
		name := path.Join("tmp", de.Name())
		fi, err := de.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // finished meanwhile
		}
		if err != nil {
			return err
		}
		if f.young(fi) {
			continue
		}
		if !fi.Mode().IsRegular() {
			f.rep.Problems = append(f.rep.Problems, name+": not a regular file")
			continue
		}
		if sum := f.s.decodedSum(name); sum != "" {
			blob := blobPath(sum)
			if bi, err := f.s.root.Lstat(blob); err == nil && os.SameFile(fi, bi) {
				ref, err := f.referenced(sum)
				if err != nil {
					return err
				}
				if !ref {
					f.remove(blob)
				}
			}
		}
		f.remove(name)
	}
	return nil
}

// decodedSum returns the hex SHA-256 of the decoded content of the blob
// file name, or "" if it does not decode (a temp file cut short).
func (s *Store) decodedSum(name string) string {
	file, err := s.root.Open(name)
	if err != nil {
		return ""
	}
	defer file.Close()
	r, err := s.codec.Reader(file)
	if err != nil {
		return ""
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// trash handles blobs that a Delete or Purge moved aside: if the commit
// that removed their rows did not happen, they are still referenced and go
// back; otherwise they go.
func (f *fsck) trash() error {
	ents, err := f.s.root.FS().(fs.ReadDirFS).ReadDir("trash")
	if err != nil {
		return err
	}
	for _, de := range ents {
		name := path.Join("trash", de.Name())
		sum, _, _ := strings.Cut(de.Name(), ".")
		if validSHA(sum) && de.Type().IsRegular() {
			ref, err := f.referenced(sum)
			if err != nil {
				return err
			}
			blob := blobPath(sum)
			if _, err := f.s.root.Lstat(blob); ref && errors.Is(err, fs.ErrNotExist) {
				if !f.o.DryRun {
					if err := f.s.root.MkdirAll(path.Dir(blob), 0o700); err != nil {
						return err
					}
					if err := f.s.root.Rename(name, blob); err != nil {
						return err
					}
					if err := f.s.syncDir(path.Dir(blob)); err != nil {
						return err
					}
				}
				f.rep.Restored = append(f.rep.Restored, blob)
				continue
			}
		}
		f.remove(name)
	}
	return nil
}

// blobs walks blobs/ in hash order (ReadDir sorts, and the path starts with
// the hash) beside the sorted referenced hashes, in constant memory.
func (f *fsck) blobs() error {
	// Hashes kept inline need no file (and a file of one is garbage).
	rows, err := f.tx.QueryContext(f.ctx, `SELECT DISTINCT sha256 FROM items
		WHERE sha256 NOT IN (SELECT sha256 FROM blob_inline) ORDER BY sha256`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		ref  string // the next referenced hash not yet matched
		more bool
		rerr error
	)
	advance := func() {
		if more = rows.Next(); more {
			rerr = rows.Scan(&ref)
			more = rerr == nil
		} else {
			rerr = rows.Err()
		}
	}
	advance()
	fsys := f.s.root.FS().(fs.ReadDirFS)
	missing := func(upTo string) { // referenced hashes below upTo have no blob
		for more && (upTo == "" || ref < upTo) {
			f.rep.Problems = append(f.rep.Problems, fmt.Sprintf("%s: missing, but items reference it", blobPath(ref)))
			advance()
		}
	}
	l1, err := fsys.ReadDir("blobs")
	if err != nil {
		return err
	}
	for _, d1 := range l1 {
		if err := f.ctx.Err(); err != nil {
			return err
		}
		p1 := path.Join("blobs", d1.Name())
		if !d1.IsDir() || len(d1.Name()) != 2 {
			f.rep.Problems = append(f.rep.Problems, p1+": unexpected")
			continue
		}
		l2, err := fsys.ReadDir(p1)
		if err != nil {
			return err
		}
		for _, d2 := range l2 {
			p2 := path.Join(p1, d2.Name())
			if !d2.IsDir() || len(d2.Name()) != 2 {
				f.rep.Problems = append(f.rep.Problems, p2+": unexpected")
				continue
			}
			l3, err := fsys.ReadDir(p2)
			if err != nil {
				return err
			}
			for _, b := range l3 {
				name := path.Join(p2, b.Name())
				sum := b.Name()
				if !validSHA(sum) || blobPath(sum) != name || !b.Type().IsRegular() {
					f.rep.Problems = append(f.rep.Problems, name+": unexpected")
					continue
				}
				missing(sum)
				if more && ref == sum {
					advance()
					continue
				}
				fi, err := b.Info()
				if err != nil {
					continue
				}
				if !f.young(fi) {
					f.remove(name)
				}
			}
		}
	}
	missing("")
	return rerr
}

// rows removes side-table rows whose item is gone, and inline blobs that
// no item references.
func (f *fsck) rows() error {
	var nb int
	if err := f.tx.QueryRowContext(f.ctx, `SELECT count(*) FROM blob_inline WHERE sha256 NOT IN (SELECT sha256 FROM items)`).Scan(&nb); err != nil {
		return err
	}
	if nb > 0 {
		if !f.o.DryRun {
			if _, err := f.tx.ExecContext(f.ctx, `DELETE FROM blob_inline WHERE sha256 NOT IN (SELECT sha256 FROM items)`); err != nil {
				return err
			}
		}
		f.rep.Removed = append(f.rep.Removed, fmt.Sprintf("index.db: %d blob_inline rows without an item", nb))
	}
	var n int
	if err := f.tx.QueryRowContext(f.ctx, `SELECT count(*) FROM item_findings WHERE id NOT IN (SELECT id FROM items)`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if !f.o.DryRun {
		if _, err := f.tx.ExecContext(f.ctx, `DELETE FROM item_findings WHERE id NOT IN (SELECT id FROM items)`); err != nil {
			return err
		}
	}
	f.rep.Removed = append(f.rep.Removed, fmt.Sprintf("index.db: %d item_findings rows without an item", n))
	return nil
}

//go:build unix

package filedrop

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// openInput opens a claimed input for reading without following a
// symbolic link and without blocking on a FIFO swapped in behind our back.
func openInput(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}

// isLoop reports the error of opening a symbolic link with O_NOFOLLOW.
func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }

// fileInfo is what lstat tells beyond os.FileInfo.
type fileInfo struct {
	nlink uint64
	ino   uint64
	dev   uint64
	ctime time.Time // status change: rename, chmod, utimes, link
}

func sysInfo(fi os.FileInfo) fileInfo {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileInfo{nlink: 1}
	}
	return fileInfo{nlink: uint64(st.Nlink), ino: uint64(st.Ino), dev: uint64(st.Dev), ctime: ctimeOf(st)}
}

// tryLock takes an exclusive advisory lock on f without waiting; false
// when another process holds it. The lock lasts until f is closed or the
// process dies.
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

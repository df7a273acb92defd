//go:build !unix

package filedrop

import (
	"errors"
	"os"
	"time"
)

func openInput(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("filedrop: not a regular file")
	}
	return os.Open(path)
}

func isLoop(error) bool { return false }

type fileInfo struct {
	nlink    uint64
	ino, dev uint64
	ctime    time.Time
}

func sysInfo(os.FileInfo) fileInfo { return fileInfo{nlink: 1} }

// tryLock has no portable implementation: every owner is taken as alive.
func tryLock(*os.File) (bool, error) { return false, nil }

//go:build !unix

package filedrop

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs here") }

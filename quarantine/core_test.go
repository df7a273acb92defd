package quarantine

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestIDs(t *testing.T) {
	now := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	var ids []string
	for i := range 1000 {
		id := NewID(now.Add(time.Duration(i%3) * time.Millisecond))
		if !ValidID(id) {
			t.Fatalf("invalid id %q", id)
		}
		ids = append(ids, id)
	}
	if !sort.StringsAreSorted(ids) {
		t.Errorf("IDs are not increasing")
	}
	if got, _ := IDTime(ids[0]); !got.Equal(now) {
		t.Errorf("IDTime = %v, want %v", got, now)
	}
	for _, bad := range []string{"", "../../etc/passwd", strings.Repeat("0", 25), strings.Repeat("I", 26), "8" + strings.Repeat("0", 25)} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestCodecRoundTrip(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	plain := bytes.Repeat([]byte("原本 original 0123456789\n"), 20000) // > several chunks
	for _, k := range [][]byte{nil, key} {
		c, err := NewCodec(k)
		if err != nil {
			t.Fatal(err)
		}
		var blob bytes.Buffer
		w, _ := c.Writer(&blob)
		w.Write(plain)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if k != nil && bytes.Contains(blob.Bytes(), []byte("original")) {
			t.Fatal("encrypted blob shows the plaintext")
		}
		r, err := c.Reader(bytes.NewReader(blob.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("round trip: %v (%d bytes)", err, len(got))
		}
		if k == nil {
			continue
		}
		// Truncation, damage and a wrong key are detected.
		b := blob.Bytes()
		for name, damaged := range map[string][]byte{
			"truncated":   b[:len(b)-100],
			"cut at end":  b[:len(b)-len(b)%1000],
			"bit flipped": flip(b, len(b)/2),
		} {
			r, err := c.Reader(bytes.NewReader(damaged))
			if err == nil {
				_, err = io.ReadAll(r)
			}
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrKey) {
				t.Errorf("%s: err = %v", name, err)
			}
		}
		other := make([]byte, 32)
		c2, _ := NewCodec(other)
		r2, err := c2.Reader(bytes.NewReader(b))
		if err == nil {
			_, err = io.ReadAll(r2)
		}
		if !errors.Is(err, ErrKey) {
			t.Errorf("wrong key: err = %v", err)
		}
		noKey, _ := NewCodec(nil)
		if _, err := noKey.Reader(bytes.NewReader(b)); !errors.Is(err, ErrKey) {
			t.Errorf("no key: err = %v", err)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 1
	return c
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, mode)
		os.Chmod(p, mode)
		return p
	}
	if _, err := LoadKey(write("hex", []byte(strings.Repeat("ab", 32)+"\n"), 0o600)); err != nil {
		t.Errorf("hex: %v", err)
	}
	if _, err := LoadKey(write("open", []byte(strings.Repeat("ab", 32)), 0o644)); !errors.Is(err, ErrKey) {
		t.Errorf("world-readable key accepted: %v", err)
	}
	if _, err := LoadKey(write("short", []byte("abc"), 0o600)); !errors.Is(err, ErrKey) {
		t.Errorf("short key accepted: %v", err)
	}
	if _, err := LoadKey(filepath.Join(dir, "missing")); !errors.Is(err, ErrKey) {
		t.Errorf("missing key: %v", err)
	}
}

func TestChain(t *testing.T) {
	var entries []Entry
	var prev Entry
	for i := range 5 {
		e := Entry{Time: time.Date(2026, 11, 21, 9, 0, i, 123456789, time.FixedZone("JST", 9*3600)), Event: Event{Type: "received", Item: "X", Actor: "mugai", Data: []byte(`{"n":1}`)}}
		e.Seal(prev)
		entries = append(entries, e)
		prev = e
	}
	check := func(es []Entry) error {
		var c ChainChecker
		for _, e := range es {
			if err := c.Check(e); err != nil {
				return err
			}
		}
		return nil
	}
	if err := check(entries); err != nil {
		t.Fatal(err)
	}
	edited := append([]Entry(nil), entries...)
	edited[2].Actor = "someone"
	deleted := append(append([]Entry(nil), entries[:2]...), entries[3:]...)
	swapped := append([]Entry(nil), entries...)
	swapped[1], swapped[2] = swapped[2], swapped[1]
	for name, tc := range map[string]struct {
		es   []Entry
		want string
	}{
		"edited": {edited, "entry 3"}, "deleted": {deleted, "entry 4"}, "swapped": {swapped, "entry 3"},
	} {
		err := check(tc.es)
		if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %s", name, err, tc.want)
		}
	}
}

package quarantine

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// IDs are 26 characters of Crockford base32: 48 bits of milliseconds since
// the Unix epoch, then 80 random bits, so they sort by time as strings and
// are unique across nodes without coordination (the ULID layout). Within one
// process, IDs made in the same millisecond increase monotonically.

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var idState struct {
	sync.Mutex
	ms   uint64
	rand [10]byte
}

// NewID returns a new sortable ID for time t.
func NewID(t time.Time) string {
	ms := uint64(t.UnixMilli())
	idState.Lock()
	if ms <= idState.ms {
		// Same (or earlier, clock stepped back) millisecond: count up from
		// the last random part so IDs stay ordered.
		ms = idState.ms
		for i := len(idState.rand) - 1; i >= 0; i-- {
			idState.rand[i]++
			if idState.rand[i] != 0 {
				break
			}
		}
	} else {
		idState.ms = ms
		if _, err := rand.Read(idState.rand[:]); err != nil {
			panic("quarantine: no randomness: " + err.Error())
		}
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], ms<<16)
	copy(b[6:], idState.rand[:])
	idState.Unlock()
	return encodeID(b)
}

func encodeID(b [16]byte) string {
	// 128 bits → 26 symbols of 5 bits, the first symbol carrying 3 bits.
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// ValidID reports whether s has the form of an ID, so that user input can be
// checked before it reaches a path or a query.
func ValidID(s string) bool {
	if len(s) != 26 || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(crockford, rune(s[i])) {
			return false
		}
	}
	return true
}

// IDTime returns the time encoded in an ID (millisecond precision).
func IDTime(id string) (time.Time, bool) {
	if !ValidID(id) {
		return time.Time{}, false
	}
	var ms uint64
	for i := 0; i < 10; i++ {
		ms = ms<<5 | uint64(strings.IndexByte(crockford, id[i]))
	}
	return time.UnixMilli(int64(ms)), true
}

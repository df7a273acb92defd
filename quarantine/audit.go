package quarantine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// TimeFormat is how audit times are written and hashed: RFC 3339 with
// nanoseconds and the zone. Backends store this string as it is, never a
// parsed time, so the hash input survives the round trip exactly.
const TimeFormat = time.RFC3339Nano

// hashInput is the canonical form of an entry that its Hash covers. Field
// order is fixed by the struct; Data is hashed as the exact bytes stored.
type hashInput struct {
	Seq    int64  `json:"seq"`
	Time   string `json:"time"`
	Type   string `json:"type"`
	Item   string `json:"item"`
	Actor  string `json:"actor"`
	Reason string `json:"reason"`
	Data   string `json:"data"`
	Prev   string `json:"prev"`
}

// ComputeHash returns the hex SHA-256 of e's canonical form (all fields but
// Hash).
func (e Entry) ComputeHash() string {
	b, err := json.Marshal(hashInput{
		Seq: e.Seq, Time: e.Time.Format(TimeFormat), Type: e.Type, Item: e.Item,
		Actor: e.Actor, Reason: e.Reason, Data: string(e.Data), Prev: e.Prev,
	})
	if err != nil {
		panic(err) // strings and ints always marshal
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Seal fills in Seq, Prev and Hash of e as the successor of prev (the zero
// Entry for the first one). Backends call it inside the transaction that
// appends e.
func (e *Entry) Seal(prev Entry) {
	e.Seq = prev.Seq + 1
	e.Prev = prev.Hash
	e.Hash = e.ComputeHash()
}

// ChainChecker verifies entries handed to it in order. Start it with the
// anchor of a rotated-away segment (its last Seq and Hash) or the zero
// values for a chain that starts at 1.
type ChainChecker struct {
	Seq  int64  // last checked
	Hash string // its hash
}

// Check verifies one entry and advances. The error wraps ErrTampered and
// names the entry.
func (c *ChainChecker) Check(e Entry) error {
	switch {
	case e.Seq != c.Seq+1:
		return fmt.Errorf("%w: entry %d: expected sequence %d (entries missing, inserted or reordered)", ErrTampered, e.Seq, c.Seq+1)
	case e.Prev != c.Hash:
		return fmt.Errorf("%w: entry %d: does not follow entry %d (chain broken)", ErrTampered, e.Seq, c.Seq)
	case e.ComputeHash() != e.Hash:
		return fmt.Errorf("%w: entry %d: content does not match its hash (edited)", ErrTampered, e.Seq)
	}
	c.Seq, c.Hash = e.Seq, e.Hash
	return nil
}

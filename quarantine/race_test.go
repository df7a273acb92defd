//go:build race

package quarantine

// raceEnabled: the race detector makes sync.Pool drop objects at random.
const raceEnabled = true

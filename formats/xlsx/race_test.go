//go:build race

package xlsx

// raceEnabled: the race detector makes the memory test too slow to mean anything.
const raceEnabled = true

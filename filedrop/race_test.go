//go:build race

package filedrop

// raceEnabled scales the tests down under the race detector, which makes
// them about ten times slower.
const raceEnabled = true

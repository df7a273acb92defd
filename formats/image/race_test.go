//go:build race

package image

// raceEnabled relaxes wall-time checks: the race detector slows decoding
// tenfold or more.
const raceEnabled = true

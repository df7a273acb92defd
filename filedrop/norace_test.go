//go:build !race

package filedrop

const raceEnabled = false

//go:build race

package archive

// fastLimit is how long a bomb or hostile archive may take: the race
// detector slows everything several times.
const fastLimit = 10e9

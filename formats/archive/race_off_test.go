//go:build !race

package archive

// fastLimit is how long a bomb or hostile archive may take (one second,
// as the issue asks).
const fastLimit = 1e9

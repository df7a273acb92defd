// Package sanitize holds mugai's core: the types every format shares (Report,
// Finding, Limits, the Sanitizer interface), spooling of untrusted input, and
// the Engine that runs one item through detection, policy, the format's
// sanitizer and verification.
//
// The engine fails closed: a parse error, a panic, a timeout or a limit blocks
// the item with a finding; it never passes the original because sanitizing
// failed. It imports nothing of mugai's but its own detect package.
package sanitize

// Package policy is mugai's configuration: one TOML file decoded strictly
// over embedded defaults, validated as a whole (every problem reported at
// once, with file and line), and turned into what the engine needs (a Mode per
// detected type and the Limits).
//
// Default deny: a type not named in [actions] is blocked, and executables,
// scripts, shortcuts and disk images are blocked whatever the file says.
package policy

package main

import (
	"log/slog"

	"github.com/mugai-project/mugai/policy"
	"github.com/mugai-project/mugai/sanitize"
)

// newEngine wires the policy and the format table into an engine.
func newEngine(cfg *policy.Config, log *slog.Logger) *sanitize.Engine {
	return &sanitize.Engine{
		Sanitizers: sanitizers(cfg),
		Mode:       cfg.Mode,
		Limits:     cfg.EngineLimits(),
		TempDir:    cfg.TempDir,
		Log:        log,
	}
}

// sanitizers is the one table of formats mugai handles, built from the
// policy's per-format options. A kind missing here is blocked with
// policy.unsupported even when the policy allows it.
func sanitizers(cfg *policy.Config) map[sanitize.Kind]sanitize.Sanitizer {
	return map[sanitize.Kind]sanitize.Sanitizer{}
}

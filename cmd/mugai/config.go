package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mugai-project/mugai/policy"
	"github.com/mugai-project/mugai/scan/clamd"
)

func (a *app) cmdConfig(args []string) int {
	if len(args) == 0 || args[0] != "check" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(a.stdout, a.t("usage.config"))
			return exitOK
		}
		return a.usageError(a.t("err.config_sub"))
	}
	fs := a.flags("config check", "usage.config")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return flagExit(err)
	}
	if len(pos) > 1 {
		fs.Usage()
		return exitUsage
	}
	cfg, name, code := a.loadConfig(firstOr(pos, ""))
	if code != exitOK {
		return code
	}
	if err := cfg.WriteTOML(a.stdout); err != nil {
		a.errorf("%v", err)
		return exitInternal
	}
	if code := a.checkClamd(cfg); code != exitOK {
		return code
	}
	fmt.Fprintf(a.stderr, "mugai: %s\n", a.t("config.ok", name))
	return exitOK
}

// checkClamd asks the configured clamd for PING and VERSION. When scanning
// is required, an unreachable clamd makes the configuration unusable (exit
// 2); otherwise it is a warning.
func (a *app) checkClamd(cfg *policy.Config) int {
	if cfg.Scan.Clamd == "" {
		return exitOK
	}
	c, err := clamdClient(cfg)
	if err == nil {
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.Scan.Timeout))
		defer cancel()
		if err = c.Ping(ctx); err == nil {
			var v clamd.Version
			if v, err = c.Version(ctx); err == nil {
				fmt.Fprintf(a.stderr, "mugai: %s\n", a.t("config.clamd_ok", cfg.Scan.Clamd, v.Raw))
				return exitOK
			}
		}
	}
	if cfg.Scan.IsRequired() {
		a.errorf("%s", a.t("err.clamd", cfg.Scan.Clamd, err))
		return exitUsage
	}
	fmt.Fprintf(a.stderr, "mugai: %s\n", a.t("warn.clamd", cfg.Scan.Clamd, err))
	return exitOK
}

// loadConfig loads the policy file, or the embedded defaults for "". It
// prints every problem and returns exitUsage when the file is not valid.
func (a *app) loadConfig(path string) (*policy.Config, string, int) {
	cfg, name, code := a.loadPolicy(path)
	if code != exitOK {
		return cfg, name, code
	}
	warnings, err := checkEnvironment(cfg)
	if err != nil {
		a.errorf("%s", a.t("err.config"))
		fmt.Fprintf(a.stderr, "  %s: %v\n", name, err)
		return nil, name, exitUsage
	}
	for _, w := range warnings {
		a.errorf("%s", a.t("warn.config", w))
	}
	return cfg, name, exitOK
}

// loadPolicy loads and validates the file alone.
func (a *app) loadPolicy(path string) (*policy.Config, string, int) {
	if path == "" {
		return policy.Default(), a.t("config.default"), exitOK
	}
	cfg, err := policy.Load(path)
	if err != nil {
		a.errorf("%s", a.t("err.config"))
		var joined interface{ Unwrap() []error }
		if errors.As(err, &joined) {
			for _, e := range joined.Unwrap() {
				fmt.Fprintf(a.stderr, "  %v\n", e)
			}
		} else {
			fmt.Fprintf(a.stderr, "  %v\n", err)
		}
		return nil, path, exitUsage
	}
	return cfg, path, exitOK
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

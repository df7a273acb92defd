// Command mugai is the file-sanitization gateway: one binary for the SMTP
// relay, the file drop and the operators' CLI. Run `mugai help` for usage.
//
// Exit status: 0 everything cleared, 1 something blocked or held, 2 usage or
// configuration error, 3 internal error.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
)

// Exit codes (DESIGN.md, "Contracts").
const (
	exitOK       = 0
	exitBlocked  = 1
	exitUsage    = 2
	exitInternal = 3
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// it comes from the module's build information.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// app carries what every subcommand needs; tests build it with their own
// streams and environment.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	lang           string
	verbose        bool
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, lang: langFromEnv(getenv)}
	// Global options before the command.
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch {
		case args[0] == "--lang" || args[0] == "-lang":
			if len(args) < 2 {
				return a.usageError(a.t("err.bad_lang", ""))
			}
			if !a.setLang(args[1]) {
				return a.usageError(a.t("err.bad_lang", args[1]))
			}
			args = args[2:]
		case strings.HasPrefix(args[0], "--lang=") || strings.HasPrefix(args[0], "-lang="):
			v := args[0][strings.Index(args[0], "=")+1:]
			if !a.setLang(v) {
				return a.usageError(a.t("err.bad_lang", v))
			}
			args = args[1:]
		case args[0] == "-h" || args[0] == "--help" || args[0] == "-help":
			fmt.Fprint(a.stdout, a.t("usage"))
			return exitOK
		default:
			return a.usageError(a.t("err.unknown_command", args[0]))
		}
	}
	if len(args) == 0 {
		fmt.Fprint(a.stderr, a.t("usage"))
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return a.cmdServe(ctx, rest)
	case "hold":
		return a.cmdHold(ctx, rest)
	case "send":
		return a.cmdSend(rest)
	case "sanitize":
		return a.cmdSanitize(ctx, rest)
	case "quarantine":
		return a.cmdQuarantine(ctx, rest)
	case "audit":
		return a.cmdAudit(ctx, rest)
	case "report":
		return a.cmdReport(ctx, rest)
	case "config":
		return a.cmdConfig(rest)
	case "version":
		return a.cmdVersion(rest)
	case "health":
		return a.cmdHealth(ctx, rest)
	case "help":
		fmt.Fprint(a.stdout, a.t("usage"))
		return exitOK
	}
	return a.usageError(a.t("err.unknown_command", cmd))
}

// now is the current time; MUGAI_TEST_NOW (RFC 3339) pins it for tests, so
// outputs that carry a time (a mail's Received line) are reproducible.
func (a *app) now() time.Time {
	if v := a.getenv("MUGAI_TEST_NOW"); v != "" {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t
		}
	}
	return time.Now()
}

func (a *app) setLang(v string) bool {
	if v != "ja" && v != "en" {
		return false
	}
	a.lang = v
	return true
}

func (a *app) usageError(msg string) int {
	fmt.Fprintf(a.stderr, "mugai: %s\n\n", msg)
	fmt.Fprint(a.stderr, a.t("usage"))
	return exitUsage
}

func (a *app) errorf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "mugai: "+format+"\n", args...)
}

// flags returns a FlagSet for a subcommand with the common --lang option
// and localized usage text.
func (a *app) flags(name, usageKey string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Func("lang", a.t("flag.lang"), func(v string) error {
		if !a.setLang(v) {
			return fmt.Errorf("%s", a.t("err.bad_lang", v))
		}
		return nil
	})
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), a.t(usageKey))
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags that may come before, between or after the
// positional arguments ("mugai sanitize a.txt -o out"). "--" ends flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// flagExit maps a flag parsing error to an exit code: -h is success.
func flagExit(err error) int {
	if err == flag.ErrHelp {
		return exitOK
	}
	return exitUsage
}

func (a *app) logger() *slog.Logger {
	level := slog.LevelWarn
	if a.verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
}

func (a *app) cmdVersion(args []string) int {
	fs := a.flags("version", "usage.version")
	if _, err := parseInterspersed(fs, args); err != nil {
		return flagExit(err)
	}
	fmt.Fprintf(a.stdout, "mugai %s (%s %s/%s)\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}

func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
	}
	if v == "" {
		v = "devel"
	}
	return v
}

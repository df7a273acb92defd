package sanitize_test

import (
	"context"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// partEngine returns an engine whose text sanitizer hands "part" to
// Child at depth 0 (with the ctx childCtx makes of its own) and runs part
// on it at depth 1. The container copies nothing: its own output is "ok".
func partEngine(part sanitize.SanitizerFunc, childCtx func(context.Context) (context.Context, context.CancelFunc)) *sanitize.Engine {
	top := sanitize.SanitizerFunc(func(ctx context.Context, dst io.Writer, it *sanitize.Item) (sanitize.Result, error) {
		if it.Depth > 0 {
			return part(ctx, dst, it)
		}
		cctx, cancel := childCtx(ctx)
		defer cancel()
		rep, out, err := it.Child(cctx, strings.NewReader("part"), "p.txt", "")
		if err != nil {
			return sanitize.Result{}, err
		}
		out.Close()
		_, err = io.WriteString(dst, "ok")
		return sanitize.Result{Children: []*sanitize.Report{rep}}, err
	})
	return &sanitize.Engine{
		Sanitizers: map[sanitize.Kind]sanitize.Sanitizer{detect.Text: top},
		Mode:       func(sanitize.Kind) sanitize.Mode { return sanitize.ModeSanitize },
		Limits:     sanitize.Limits{Timeout: 2 * time.Second},
		SkipVerify: true,
	}
}

func sameCtx(ctx context.Context) (context.Context, context.CancelFunc) { return ctx, func() {} }

// A part that panics is blocked as malformed and its container goes on,
// whether or not the part ran in a goroutine of its own.
func TestPartPanicIsContained(t *testing.T) {
	boom := func(context.Context, io.Writer, *sanitize.Item) (sanitize.Result, error) { panic("boom") }
	for _, tc := range []struct {
		name string
		ctx  func(context.Context) (context.Context, context.CancelFunc)
	}{
		{"same deadline", sameCtx},
		{"own deadline", func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, time.Second)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, out := run(t, partEngine(boom, tc.ctx), "x")
			if rep.Outcome != sanitize.OutcomeSanitized || out != "ok" || len(rep.Children) != 1 {
				t.Fatalf("got %s %q %v", rep.Outcome, out, rules(rep))
			}
			c := rep.Children[0]
			if c.Outcome != sanitize.OutcomeBlocked || rules(c)[0] != sanitize.RuleMalformed+":blocked" ||
				!strings.Contains(c.Findings[0].Detail, "recovered panic in text sanitizer") {
				t.Fatalf("child %s %v", c.Outcome, c.Findings)
			}
		})
	}
}

// A part that hangs on the top-level deadline makes the whole item fail
// closed at that deadline; a part given a shorter deadline of its own is
// abandoned at it and its container goes on.
func TestPartHangIsAbandoned(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	hang := func(context.Context, io.Writer, *sanitize.Item) (sanitize.Result, error) {
		<-release
		return sanitize.Result{}, nil
	}

	e := partEngine(hang, sameCtx)
	e.Limits.Timeout = 100 * time.Millisecond
	start := time.Now()
	rep, _ := run(t, e, "x")
	if rep.Outcome != sanitize.OutcomeBlocked || rep.Findings[0].Rule != sanitize.RuleLimitTime {
		t.Fatalf("same deadline: got %s %v", rep.Outcome, rules(rep))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("same deadline: took %v", d)
	}

	e = partEngine(hang, func(ctx context.Context) (context.Context, context.CancelFunc) {
		return context.WithTimeout(ctx, 50*time.Millisecond)
	})
	rep, out := run(t, e, "x")
	if rep.Outcome != sanitize.OutcomeSanitized || out != "ok" || len(rep.Children) != 1 {
		t.Fatalf("own deadline: got %s %q %v", rep.Outcome, out, rules(rep))
	}
	if c := rep.Children[0]; c.Outcome != sanitize.OutcomeBlocked || c.Findings[0].Rule != sanitize.RuleLimitTime {
		t.Fatalf("own deadline: child %s %v", c.Outcome, rules(c))
	}
}

// A sanitizer that ends its goroutine without returning has no verdict:
// the item is blocked, not passed with whatever it wrote.
func TestGoexitFailsClosed(t *testing.T) {
	exit := sanitize.SanitizerFunc(func(_ context.Context, dst io.Writer, _ *sanitize.Item) (sanitize.Result, error) {
		io.WriteString(dst, "partial")
		runtime.Goexit()
		return sanitize.Result{}, nil
	})
	rep, _ := run(t, engine(exit, sanitize.ModeSanitize), "x")
	if rep.Outcome != sanitize.OutcomeBlocked || rep.Findings[0].Rule != sanitize.RuleMalformed {
		t.Fatalf("got %s %v", rep.Outcome, rules(rep))
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/text/encoding/japanese"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mugai": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)) },
	})
}

// TestScripts runs the CLI scenarios in testdata/script/*.txtar: each is a
// shell-like script with its input files, run against the real binary.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// A Shift_JIS (CP932) text with NEC special characters, which a
			// txtar file cannot hold as it is.
			sjis, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte("庁内のお知らせ ①㈱Ⅲ\r\n"))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(env.WorkDir, "sjis.txt"), sjis, 0o644)
		},
	})
}

func TestMessagesHaveBothLanguages(t *testing.T) {
	for k, m := range messages {
		if strings.TrimSpace(m[0]) == "" || strings.TrimSpace(m[1]) == "" {
			t.Errorf("message %q lacks a language", k)
		}
		if strings.Count(m[0], "%") != strings.Count(m[1], "%") {
			t.Errorf("message %q: verbs differ between languages", k)
		}
	}
}

func TestLangFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "ja"},
		{map[string]string{"LANG": "en_US.UTF-8"}, "en"},
		{map[string]string{"LANG": "ja_JP.UTF-8"}, "ja"},
		{map[string]string{"LANG": "C"}, "ja"},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_ALL": "ja_JP.UTF-8"}, "ja"},
		{map[string]string{"LC_MESSAGES": "en_GB"}, "en"},
	} {
		if got := langFromEnv(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.env, got, tc.want)
		}
	}
}

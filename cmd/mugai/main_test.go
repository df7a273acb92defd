package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5"
	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/text/encoding/japanese"
	_ "modernc.org/sqlite"

	"github.com/mugai-project/mugai/quarantine"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mugai":              main, // the real entry point, signal handling included
		"mugai-test-tamper":  func() { os.Exit(testTamper(os.Args[1:])) },
		"mugai-test-corrupt": func() { os.Exit(testCorrupt(os.Args[1:])) },
	})
}

// testTamper edits the audit table of a local store behind its back, as
// someone with write access to index.db would:
//
//	mugai-test-tamper DIR SEQ [FIELD VALUE]   set FIELD (default: reason) of entry SEQ
//	mugai-test-tamper DIR SEQ delete          remove entry SEQ
func testTamper(args []string) int {
	if len(args) != 2 && len(args) != 3 && len(args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: mugai-test-tamper DIR SEQ [FIELD VALUE | delete]")
		return 2
	}
	seq, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	db, err := sql.Open("sqlite", filepath.Join(args[0], "index.db"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer db.Close()
	var res sql.Result
	switch {
	case len(args) == 3 && args[2] == "delete":
		res, err = db.Exec(`DELETE FROM audit WHERE seq = ?`, seq)
	case len(args) == 4:
		field := args[2]
		if !regexp.MustCompile(`^(time|type|item|actor|reason|data|prev|hash)$`).MatchString(field) {
			fmt.Fprintln(os.Stderr, "unknown field", field)
			return 2
		}
		res, err = db.Exec(`UPDATE audit SET `+field+` = ? WHERE seq = ?`, args[3], seq)
	default:
		res, err = db.Exec(`UPDATE audit SET reason = 'tampered' WHERE seq = ?`, seq)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	if n, _ := res.RowsAffected(); n != 1 {
		fmt.Fprintln(os.Stderr, "no entry", seq)
		return 3
	}
	return 0
}

// testCorrupt replaces the stored original of item ID in a local store
// (without a key) with other, well-formed content, as a bad disk or an
// attacker would: only the hash check at EOF can notice.
//
//	mugai-test-corrupt DIR ID
func testCorrupt(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mugai-test-corrupt DIR ID")
		return 2
	}
	db, err := sql.Open("sqlite", filepath.Join(args[0], "index.db"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer db.Close()
	var sum string
	if err := db.QueryRow(`SELECT sha256 FROM items WHERE id = ?`, args[1]).Scan(&sum); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	codec, _ := quarantine.NewCodec(nil)
	var buf bytes.Buffer
	w, err := codec.Writer(&buf)
	if err == nil {
		_, err = w.Write([]byte(strings.Repeat("tampered content\n", 4000)))
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	// A small original is kept inline, in the blob_inline table.
	res, err := db.Exec(`UPDATE blob_inline SET data = ? WHERE sha256 = ?`, buf.Bytes(), sum)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return 0
	}
	path := filepath.Join(args[0], "blobs", sum[0:2], sum[2:4], sum)
	os.Remove(path)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	return 0
}

// TestScripts runs the CLI scenarios in testdata/script/*.txtar: each is a
// shell-like script with its input files, run against the real binary.
func TestScripts(t *testing.T) {
	pgDSN := os.Getenv("MUGAI_TEST_POSTGRES")
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"capture":     cmdCapture,
			"maildir-one": cmdMaildirOne,
			"count-files": cmdCountFiles,
			"smtp-send":   cmdSMTPSend,
			"wait-file":   cmdWaitFile,
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: sleep DURATION")
				}
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				time.Sleep(d)
			},
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return os.Geteuid() == 0, nil
			case "postgres":
				return pgDSN != "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			// Local times in readable output are Japan's; the tests pin the
			// clock with MUGAI_TEST_NOW where times matter.
			env.Setenv("TZ", "Asia/Tokyo")
			if pgDSN != "" {
				// Each script gets its own schema, dropped at the end.
				var b [6]byte
				rand.Read(b[:])
				schema := "mugai_cli_" + hex.EncodeToString(b[:])
				env.Setenv("MUGAI_TEST_POSTGRES", pgDSN)
				env.Setenv("MUGAI_TEST_PG_SCHEMA", schema)
				env.Defer(func() { dropSchema(pgDSN, schema) })
				cfg := fmt.Sprintf("[quarantine]\nbackend = \"postgres\"\ndsn = %q\n", pgDSN)
				if err := os.WriteFile(filepath.Join(env.WorkDir, "pg.toml"), []byte(cfg), 0o644); err != nil {
					return err
				}
			}
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

// cmdCapture sets an environment variable from the stdout of the last
// command: "capture NAME REGEXP" takes the first submatch of REGEXP.
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: capture NAME REGEXP")
	}
	m := regexp.MustCompile(args[1]).FindStringSubmatch(ts.ReadFile("stdout"))
	if len(m) < 2 {
		ts.Fatalf("capture: %s not found in stdout", args[1])
	}
	ts.Setenv(args[0], m[1])
}

// cmdMaildirOne checks that the Maildir DIR holds exactly one new message
// and copies it to FILE: "maildir-one DIR FILE".
func cmdMaildirOne(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: maildir-one DIR FILE")
	}
	dir := ts.MkAbs(args[0])
	news, err := os.ReadDir(filepath.Join(dir, "new"))
	ts.Check(err)
	if len(news) != 1 {
		ts.Fatalf("%s/new holds %d messages, want 1", args[0], len(news))
	}
	tmps, err := os.ReadDir(filepath.Join(dir, "tmp"))
	ts.Check(err)
	if len(tmps) != 0 {
		ts.Fatalf("%s/tmp is not empty", args[0])
	}
	b, err := os.ReadFile(filepath.Join(dir, "new", news[0].Name()))
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), b, 0o644))
}

// cmdCountFiles checks how many entries of DIR (absent: none) start with
// PREFIX: "count-files DIR N [PREFIX]".
func cmdCountFiles(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: count-files DIR N [PREFIX]")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	ents, err := os.ReadDir(ts.MkAbs(args[0]))
	if err != nil && !os.IsNotExist(err) {
		ts.Fatalf("%v", err)
	}
	n := 0
	for _, e := range ents {
		if len(args) < 3 || strings.HasPrefix(e.Name(), args[2]) {
			n++
		}
	}
	if n != want {
		ts.Fatalf("%s holds %d matching entries, want %d", args[0], n, want)
	}
}

func dropSchema(dsn, schema string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
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

// cmdSMTPSend sends FILE through the SMTP server at ADDR with the go-smtp
// client, waiting up to 10 s for it to listen: "smtp-send ADDR FROM TO
// FILE". Negated, the transaction must fail; the reply is written to
// smtp-reply.txt either way.
func cmdSMTPSend(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: smtp-send ADDR FROM TO FILE")
	}
	msg, err := os.ReadFile(ts.MkAbs(args[3]))
	ts.Check(err)
	var c *smtp.Client
	for i := 0; i < 100; i++ {
		if c, err = smtp.Dial(args[0]); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	ts.Check(err)
	defer c.Close()
	err = c.SendMail(args[1], []string{args[2]}, bytes.NewReader(msg))
	reply := "250 ok"
	var se *smtp.SMTPError
	switch {
	case errors.As(err, &se):
		reply = fmt.Sprintf("%d %d.%d.%d %s", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message)
	case err != nil:
		reply = err.Error()
	}
	ts.Check(os.WriteFile(ts.MkAbs("smtp-reply.txt"), []byte(reply+"\n"), 0o644))
	if err != nil && !neg {
		ts.Fatalf("smtp-send: %v", err)
	}
	if err == nil && neg {
		ts.Fatalf("smtp-send succeeded")
	}
}

// cmdWaitFile waits up to 20 s for a path to exist: "wait-file PATH".
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: wait-file PATH")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s did not appear", args[0])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

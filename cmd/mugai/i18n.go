package main

import (
	"fmt"
	"strings"
)

// Messages of the CLI, Japanese first. Keys are stable; tests check that
// every key has both languages.
var messages = map[string][2]string{
	"usage": {`mugai — 無害化ゲートウェイ

使い方:
  mugai <サブコマンド> [オプション] [引数]

サブコマンド:
  sanitize       ファイルやメールを無害化して出力する
  config check   設定ファイルを検査し、有効な設定を表示する
  version        バージョンを表示する
  help           このヘルプを表示する

共通オプション:
  --lang ja|en   表示言語 (既定: ja。環境変数 LANG が en_* なら英語)

終了コード:
  0 すべて通過または無害化済み / 1 ブロックまたは保留あり / 2 使い方または設定の誤り / 3 内部エラー

各サブコマンドの詳細: mugai <サブコマンド> -h
`, `mugai — file sanitization gateway

Usage:
  mugai <command> [options] [arguments]

Commands:
  sanitize       sanitize files or mails and write the cleared copies
  config check   check a policy file and print the effective configuration
  version        print the version
  help           print this help

Common options:
  --lang ja|en   language of messages (default: ja; English when LANG is en_*)

Exit status:
  0 everything cleared / 1 something blocked or held / 2 usage or configuration error / 3 internal error

Details: mugai <command> -h
`},
	"usage.sanitize": {`使い方: mugai sanitize [--config FILE] [-o DIR] [--json] 入力...

入力ファイルの実際の種類を判定し、設定(ポリシー)に従って無害化します。
通過できたものは DIR に同じ名前で書き出します(種類が変わる場合は拡張子が変わります。
例: page.html → page.txt)。-o を省略すると判定だけを行い、何も書き出しません。
入力に - を指定すると標準入力を読みます。

オプション:
`, `Usage: mugai sanitize [--config FILE] [-o DIR] [--json] INPUT...

Detects the real type of each input and sanitizes it according to the policy.
What may cross is written to DIR under the input's name (the extension follows
the output type, e.g. page.html → page.txt). Without -o nothing is written: the
inputs are only judged. An input of - reads standard input.

Options:
`},
	"usage.config": {`使い方: mugai config check [FILE]

設定ファイルを検査します。問題があればすべて(ファイル名と行番号つきで)表示し、
終了コード 2 で終わります。問題がなければ、既定値を補った有効な設定を標準出力に
表示します。FILE を省略すると組み込みの既定設定を表示します。
`, `Usage: mugai config check [FILE]

Checks a policy file. Every problem is printed (with file and line) and the
exit status is 2. Otherwise the effective configuration, defaults filled in,
is printed on standard output. Without FILE, the embedded defaults are printed.
`},
	"usage.version": {"使い方: mugai version\n", "Usage: mugai version\n"},

	"flag.config": {"設定ファイル (TOML)。省略時は組み込みの既定設定", "policy file (TOML); default: the embedded defaults"},
	"flag.out":    {"出力先ディレクトリ", "output directory"},
	"flag.json":   {"入力ごとに1行のJSONレポートを標準出力に書く", "print one JSON report per input on standard output"},
	"flag.lang":   {"表示言語 (ja または en)", "language of messages (ja or en)"},
	"flag.v":      {"詳細なログを標準エラーに出す", "verbose logs on standard error"},

	"err.unknown_command": {"不明なサブコマンドです: %s", "unknown command: %s"},
	"err.no_inputs":       {"入力ファイルを指定してください", "no input given"},
	"err.bad_lang":        {"--lang は ja か en を指定してください: %s", "--lang must be ja or en: %s"},
	"err.config":          {"設定ファイルに問題があります:", "the policy file has problems:"},
	"err.open":            {"%s: 開けません: %v", "%s: cannot open: %v"},
	"err.notfile":         {"%s: 通常のファイルではありません", "%s: not a regular file"},
	"err.internal":        {"%s: 処理できませんでした(内部エラー): %v", "%s: could not be processed (internal error): %v"},
	"err.write":           {"%s: 出力を書き込めません: %v", "%s: cannot write the output: %v"},
	"err.outdir":          {"出力先を用意できません: %v", "cannot prepare the output directory: %v"},
	"err.config_sub":      {"config のサブコマンドを指定してください (check)", "config needs a subcommand (check)"},

	"config.ok":      {"設定は有効です: %s", "the configuration is valid: %s"},
	"config.default": {"組み込みの既定設定", "embedded defaults"},

	"outcome.sanitized": {"無害化", "sanitized"},
	"outcome.textized":  {"テキスト化", "textized"},
	"outcome.passed":    {"通過", "passed"},
	"outcome.blocked":   {"ブロック", "blocked"},

	"summary.total":   {"%d件を処理しました — 無害化 %d / テキスト化 %d / 通過 %d / ブロック %d", "%d processed — sanitized %d / textized %d / passed %d / blocked %d"},
	"summary.nowrite": {"(-o が指定されていないため、出力は書き出していません)", "(no -o given: nothing was written)"},
	"summary.type":    {"種類: %s", "type: %s"},
	"summary.typemm":  {"種類: %s (名前からは %s)", "type: %s (the name says %s)"},
	"summary.reason":  {"理由: %s", "reason: %s"},
}

func (a *app) t(key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	s := m[0]
	if a.lang == "en" {
		s = m[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// langFromEnv picks the language from the usual locale variables: English
// when the first one set starts with "en", Japanese otherwise (including the
// C locale of servers).
func langFromEnv(getenv func(string) string) string {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := getenv(v); s != "" {
			if strings.HasPrefix(strings.ToLower(s), "en") {
				return "en"
			}
			return "ja"
		}
	}
	return "ja"
}

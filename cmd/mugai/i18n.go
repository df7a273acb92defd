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
  serve          SMTP 中継を動かす（設定なしなら 127.0.0.1:2525、配送先 ./var/outbox）
  hold           障害時の一時停止 (on/off/status): 新しいメールに 451 を返す
  send           メールのファイルを SMTP で送る（中継を試すため）
  sanitize       ファイルやメールを無害化して出力する
  quarantine     保全した原本を一覧・表示・書き出し・解放・削除する
  audit          監査ログを検証 (verify) ・表示 (list) する
  report         点検用の集計を表示する
  config check   設定ファイルを検査し、有効な設定を表示する
  health         動いている serve の状態を確かめる（/healthz、/readyz）
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
  serve          run the SMTP relay (no config: 127.0.0.1:2525, delivering to ./var/outbox)
  hold           incident hold (on/off/status): answer 451 to new mail
  send           send a mail file over SMTP (to try the relay)
  sanitize       sanitize files or mails and write the cleared copies
  quarantine     list, show, export, release or delete kept originals
  audit          verify or list the audit log
  report         print the figures for the periodic review
  config check   check a policy file and print the effective configuration
  health         ask the running serve whether it is alive (/healthz) or ready (/readyz)
  version        print the version
  help           print this help

Common options:
  --lang ja|en   language of messages (default: ja; English when LANG is en_*)

Exit status:
  0 everything cleared / 1 something blocked or held / 2 usage or configuration error / 3 internal error

Details: mugai <command> -h
`},
	"usage.sanitize": {`使い方: mugai sanitize [--config FILE] [-o DIR] [--json] [--keep] [--password PW] 入力...

入力ファイルの実際の種類を判定し、設定(ポリシー)に従って無害化します。
通過できたものは DIR に同じ名前で書き出します(種類が変わる場合は拡張子が変わります。
例: page.html → page.txt)。-o を省略すると判定だけを行い、何も書き出しません。
入力に - を指定すると標準入力を読みます。

オプション:
`, `Usage: mugai sanitize [--config FILE] [-o DIR] [--json] [--keep] [--password PW] INPUT...

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
[scan] clamd が設定されていれば clamd に PING と VERSION を送り、応答しない場合
(検査が必須の設定なら) 終了コード 2 で終わります。
`, `Usage: mugai config check [FILE]

Checks a policy file. Every problem is printed (with file and line) and the
exit status is 2. Otherwise the effective configuration, defaults filled in,
is printed on standard output. Without FILE, the embedded defaults are printed.
When [scan] clamd is set, clamd is asked for PING and VERSION; if it does not
answer and scanning is required, the exit status is 2.
`},
	"usage.version": {"使い方: mugai version\n", "Usage: mugai version\n"},

	"usage.serve": {`使い方: mugai serve [--config FILE]

設定に従って SMTP 中継とファイル受け渡し（監視フォルダ）を動かします。インターネット側の
MTA から受け取ったメールの原本を保管し、テキスト化して次のホップ（未設定なら Maildir
./var/outbox）へ送ります。受付フォルダ（既定 ./var/drop/in）に置かれたファイルは原本を
保管し、無害化したものとレポート（<名前>.mugai.txt）を出力フォルダ（既定 ./var/drop/out）
に置きます。ログは既定で JSON を標準出力に出します（[log]）。/metrics・/healthz・/readyz は
[metrics] listen（既定 127.0.0.1:9225）で答えます。SIGINT/SIGTERM で処理中のメールと
ファイルを終えてから止まり（最長 smtp.drain_timeout）、SIGHUP で設定を読み直します（誤りが
あれば元の設定のまま動き続け、理由をログに出します）。
`, `Usage: mugai serve [--config FILE]

Runs the SMTP relay and the file drop of the policy: mail from the
Internet-side MTA is kept in the quarantine, turned into text and sent to the
next hop (without one, into the Maildir ./var/outbox); files dropped into the
inbox (default ./var/drop/in) are kept, and their sanitized copies with a
report (<name>.mugai.txt) appear in the outbox (default ./var/drop/out). Logs
are JSON on standard output by default ([log]). /metrics, /healthz and
/readyz answer on [metrics] listen (default 127.0.0.1:9225). SIGINT/SIGTERM
stop it after the messages and files in progress (at most
smtp.drain_timeout); SIGHUP reloads the policy file (a bad one is refused,
the running configuration stays, and the log says why).
`},
	"usage.health": {`使い方: mugai health [--config FILE] [--ready] [--url URL]

動いている mugai serve の /healthz（--ready なら /readyz）に問い合わせ、
正常なら 0、そうでなければ 1 で終わります。コンテナの HEALTHCHECK や監視から使います
（curl のないイメージでも使えます）。URL は既定で設定の metrics.listen から作ります。
`, `Usage: mugai health [--config FILE] [--ready] [--url URL]

Asks the running mugai serve for /healthz (with --ready, /readyz) and exits 0
when it answers ok, 1 otherwise: for a container HEALTHCHECK or a monitor
(no curl needed). The URL comes from the policy's metrics.listen by default.
`},
	"usage.hold": {`使い方: mugai hold on --reason TEXT | off | status [--config FILE]

障害対応のため、中継を一時停止します。on の間は新しいメールに 451 を返すので、メールは
上流の MTA のキューで待ち、off の後に再送されます（失われません）。監査ログに記録されます。
`, `Usage: mugai hold on --reason TEXT | off | status [--config FILE]

Holds the relay during an incident: while on, new mail gets 451 and waits in
the upstream MTA's queue; after off it is retried (nothing is lost). Audited.
`},
	"flag.reason":         {"理由（監査ログに記録）", "reason (written to the audit log)"},
	"err.serve":           {"中継を開始できません: %v", "cannot run the relay: %v"},
	"err.reason_required": {"--reason で理由を指定してください", "--reason is required"},
	"serve.nothing":       {"動かすサービスがありません（smtp.listen が空で、filedrop.folder もありません）", "nothing to serve (smtp.listen is empty and there is no filedrop.folder)"},
	"serve.watching":      {"フォルダ %s を監視しています（出力先: %s）", "watching %s (outputs to %s)"},
	"serve.listening":     {"SMTP %s で待ち受けています（配送先: %s）", "SMTP listening on %s (delivering to %s)"},
	"serve.stopping":      {"停止します。処理中のメールとファイルを終えています…", "stopping: finishing the messages and files in progress…"},
	"serve.reloaded":      {"設定を読み直しました", "configuration reloaded"},
	"serve.reload_failed": {"設定を読み直せません。元の設定のまま動き続けます: %v", "cannot reload the configuration; the running one stays: %v"},
	"serve.metrics":       {"監視 %s（/metrics /healthz /readyz）", "monitoring on %s (/metrics /healthz /readyz)"},
	"err.log":             {"ログの設定: %v", "log setup: %v"},
	"health.ok":           {"正常です", "ok"},
	"health.fail":         {"異常です: %v", "not ok: %v"},
	"health.off":          {"metrics.listen が空なので確かめられません", "metrics.listen is empty: nothing to ask"},
	"hold.on":             {"一時停止しました。新しいメールには 451 を返します", "hold is on: new mail gets 451"},
	"hold.off":            {"一時停止を解除しました", "hold is off"},
	"hold.is_on":          {"一時停止中です", "hold is on"},
	"hold.is_off":         {"一時停止していません", "hold is off"},
	"usage.send": {`使い方: mugai send [--server 127.0.0.1:2525] [--from ADDR] --to ADDR ファイル

メールのファイル (RFC 5322) を SMTP で送ります。中継を試すためのものです。
`, `Usage: mugai send [--server 127.0.0.1:2525] [--from ADDR] --to ADDR FILE

Sends a mail file (RFC 5322) over SMTP, to try the relay.
`},
	"flag.server":    {"送信先の SMTP サーバ (host:port)", "SMTP server (host:port)"},
	"flag.send_from": {"エンベロープの差出人", "envelope sender"},
	"flag.send_to":   {"エンベロープの宛先 (複数指定可)", "envelope recipient (repeatable)"},
	"err.send":       {"%s に送れません: %v", "cannot send to %s: %v"},
	"send.refused":   {"拒否されました: %s", "refused: %s"},
	"send.ok":        {"%s が受け付けました", "accepted by %s"},
	"flag.config":    {"設定ファイル (TOML)。省略時は組み込みの既定設定", "policy file (TOML); default: the embedded defaults"},
	"flag.out":       {"出力先ディレクトリ", "output directory"},
	"flag.password":  {"暗号化された PDF を開くパスワード (複数指定可。他のユーザーから見えることがあります)", "password for encrypted PDFs (repeatable; other users may see it)"},
	"flag.json":      {"入力ごとに1行のJSONレポートを標準出力に書く", "print one JSON report per input on standard output"},
	"flag.lang":      {"表示言語 (ja または en)", "language of messages (ja or en)"},
	"flag.v":         {"詳細なログを標準エラーに出す", "verbose logs on standard error"},

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

	"warn.config":     {"警告: %s", "warning: %s"},
	"config.ok":       {"設定は有効です: %s", "the configuration is valid: %s"},
	"config.default":  {"組み込みの既定設定", "embedded defaults"},
	"config.clamd_ok": {"clamd (%s) に接続できました: %s", "clamd (%s) answers: %s"},
	"err.clamd":       {"clamd (%s) に接続できません (ウイルス検査は必須の設定です): %v", "cannot reach clamd (%s), and scanning is required: %v"},
	"warn.clamd":      {"警告: clamd (%s) に接続できません (検査なしで処理が続きます): %v", "warning: cannot reach clamd (%s); items will go on unscanned: %v"},

	"outcome.sanitized": {"無害化", "sanitized"},
	"outcome.textized":  {"テキスト化", "textized"},
	"outcome.passed":    {"通過", "passed"},
	"outcome.blocked":   {"ブロック", "blocked"},

	"summary.total":   {"%d件を処理しました — 無害化 %d / テキスト化 %d / 通過 %d / ブロック %d", "%d processed — sanitized %d / textized %d / passed %d / blocked %d"},
	"summary.nowrite": {"(-o が指定されていないため、出力は書き出していません)", "(no -o given: nothing was written)"},
	"summary.type":    {"種類: %s", "type: %s"},
	"summary.typemm":  {"種類: %s (名前からは %s)", "type: %s (the name says %s)"},
	"summary.reason":  {"理由: %s", "reason: %s"},

	// The quarantine, the audit log and the review (issue 4).
	"usage.quarantine": {`使い方: mugai quarantine <操作> [オプション]

保全した原本 (原本保持) を扱います。どの操作も --config FILE で設定ファイルを、
--json で機械可読の出力 (1行に1つのJSON) を、--lang en で英語表示を選べます。
監査対象の操作 (export, release, delete, hold, purge) は、実行した OS ユーザーと
理由を監査ログに記録します。

操作:
  list [--since 日時] [--until 日時] [--from 送信者] [--rcpt 宛先]
       [--outcome 判定] [--finding ルールID] [--limit 件数]
      保全項目を新しい順に一覧表示します (既定で最大50件。--limit 0 で無制限)。
      日時は RFC 3339 (2026-11-01T09:00:00+09:00)、日付 (2026-11-01。--until
      ではその日の終わりまで)、または現在からの経過 (7d, 24h) で指定します。
      判定は sanitized, textized, passed, blocked のいずれかです。
  show ID
      メタデータと無害化レポート (部分ごとの判定と検出内容) を表示します。
  export ID -o FILE [--force]
      原本をそのままのバイト列で FILE に書き出します。ハッシュを確かめながら
      書き、一致しなければ何も残しません。既存の FILE は --force がなければ
      上書きしません。
  release ID --reason 理由 [--to 宛先] [--part 番号] [--outbox DIR]
      原本 (または --part で指定した MIME の部分。レポートの「@ 2」「@ 1.3」
      の番号) を宛先 (既定: 元の宛先) に配送します。設定に smtp.next_hops
      があればその中継先へ SMTP で送り、なければ (または --outbox を指定
      すれば) Maildir の送信箱 (既定: 設定 smtp.outbox) に置きます。
      理由は必須です。
  delete ID --reason 理由
      項目を削除します。訴訟ホールド中の項目は削除できません (終了コード 1)。
  hold ID [--off] [--reason 理由]
      訴訟ホールド (保全) を設定します。--off で解除します。ホールド中の項目は
      削除も期限切れ削除もされません。
  purge [--older-than 30d] [--dry-run]
      保存期限を過ぎた項目 (--older-than を指定するとその期間より前に受信した
      項目) を削除します。訴訟ホールド中の項目は残ります。--dry-run は削除せず
      対象を表示します。

終了コード:
  0 成功 / 1 訴訟ホールドのため拒否 / 2 使い方・設定・ID の誤り / 3 内部エラー (保存データの破損を含む)
`, `Usage: mugai quarantine <operation> [options]

Works on the kept originals. Every operation takes --config FILE for the
policy file, --json for machine-readable output (one JSON value per line) and
--lang en. Audited operations (export, release, delete, hold, purge) record
the OS user who ran them and the reason in the audit log.

Operations:
  list [--since TIME] [--until TIME] [--from SENDER] [--rcpt RECIPIENT]
       [--outcome OUTCOME] [--finding RULE] [--limit N]
      Lists kept items, newest first (at most 50 by default; --limit 0 for
      all). TIME is RFC 3339 (2026-11-01T09:00:00+09:00), a date (2026-11-01;
      with --until, up to the end of that day) or an age (7d, 24h). OUTCOME
      is sanitized, textized, passed or blocked.
  show ID
      Prints the metadata and the sanitization report (each part with its
      outcome and findings).
  export ID -o FILE [--force]
      Writes the original, byte for byte, to FILE, checking its hash as it
      goes; nothing is left behind when it does not match. An existing FILE
      is only replaced with --force.
  release ID --reason TEXT [--to ADDR] [--part N] [--outbox DIR]
      Delivers the original (or with --part one MIME part, numbered as in the
      report's "@ 2", "@ 1.3") to the recipients (default: the original
      ones): over SMTP to the first of smtp.next_hops that answers, or, with
      no next hop (or with --outbox), into the Maildir outbox (default:
      smtp.outbox). The reason is required.
  delete ID --reason TEXT
      Deletes an item. Items under legal hold cannot be deleted (exit 1).
  hold ID [--off] [--reason TEXT]
      Puts an item under legal hold, or with --off releases the hold. Held
      items are never deleted or purged.
  purge [--older-than 30d] [--dry-run]
      Deletes items past their retention (with --older-than: received before
      that age). Legal holds stay. --dry-run only lists them.

Exit status:
  0 success / 1 refused because of a legal hold / 2 usage, configuration or ID error / 3 internal error (including damaged stored data)
`},
	"usage.audit": {`使い方: mugai audit verify|list [オプション]

監査ログはハッシュチェーンでつながっており、記録の編集・削除・挿入・並べ替えを
検出できます。

  verify [--json]
      チェーン全体を検証します。正常なら 0、改ざんがあれば最初の異常な記録の
      番号を示して 1 で終わります。
  list [--since 日時] [--until 日時] [--item ID] [--limit 件数] [--json]
      記録を古い順に表示します (条件に合う最新の記録を既定で最大50件)。

共通オプション: --config FILE, --lang ja|en
`, `Usage: mugai audit verify|list [options]

The audit log is a hash chain: editing, deleting, inserting or reordering an
entry is detected.

  verify [--json]
      Checks the whole chain: exit 0 when intact, 1 when tampered, naming the
      first bad entry.
  list [--since TIME] [--until TIME] [--item ID] [--limit N] [--json]
      Prints entries oldest first (the latest matching ones, at most 50 by
      default).

Common options: --config FILE, --lang ja|en
`},
	"usage.report": {`使い方: mugai report [--since 7d] [--until 日時] [--top 10] [--json]

定期的な点検のための集計を表示します: 判定別の件数、検出ルール別の件数 (説明つき)、
送信者ドメイン別、ブロックされたファイルの種類、宛先の上位、日別の件数と容量。
--json では1つのJSON文書を出力します。既定の期間は直近7日間です。

オプション:
`, `Usage: mugai report [--since 7d] [--until TIME] [--top 10] [--json]

Prints the figures for the periodic review: items by outcome, by finding rule
(with its description), by sender domain, the blocked file types, the top
recipients, and counts and volumes per day. --json prints one JSON document.
The default period is the last 7 days.

Options:
`},

	"flag.json_ops":    {"機械可読の JSON で出力する", "print machine-readable JSON"},
	"flag.keep":        {"無害化の前に原本を保全領域に保存する (設定 quarantine.keep と同じ)", "keep each original in the quarantine before sanitizing (as quarantine.keep)"},
	"flag.since":       {"この日時以降 (RFC 3339、2026-11-01、7d など)", "from this time on (RFC 3339, 2026-11-01, 7d, …)"},
	"flag.until":       {"この日時より前 (日付ならその日の終わりまで)", "before this time (a date: up to its end)"},
	"flag.from":        {"送信者に含まれる文字列", "text the sender contains"},
	"flag.rcpt":        {"宛先に含まれる文字列", "text a recipient contains"},
	"flag.outcome":     {"判定 (sanitized, textized, passed, blocked)", "outcome (sanitized, textized, passed, blocked)"},
	"flag.finding":     {"検出ルールID (例: html.script)", "finding rule ID (e.g. html.script)"},
	"flag.limit":       {"表示する最大件数 (0 は無制限)", "at most this many (0: no limit)"},
	"flag.top":         {"送信者ドメインと宛先の表示件数", "how many sender domains and recipients to show"},
	"flag.item":        {"この保全IDの記録だけ", "only entries about this quarantine ID"},
	"flag.export_out":  {"書き出すファイル (必須)", "file to write (required)"},
	"flag.force":       {"既存のファイルを上書きする", "replace an existing file"},
	"flag.q_reason":    {"理由 (監査ログに記録されます)", "reason (recorded in the audit log)"},
	"flag.to":          {"配送先アドレス (複数可。既定: 元の宛先)", "recipient address (repeatable; default: the original recipients)"},
	"flag.part":        {"解放する MIME の部分の番号 (例: 2, 1.3)", "number of the MIME part to release (e.g. 2, 1.3)"},
	"flag.outbox":      {"配送先の Maildir", "Maildir to deliver into"},
	"flag.hold_off":    {"訴訟ホールドを解除する", "release the legal hold"},
	"flag.hold_reason": {"理由 (任意。監査ログに記録されます)", "reason (optional; recorded in the audit log)"},
	"flag.older_than":  {"この期間より前に受信した項目を削除する (例: 30d)", "delete items received longer ago than this (e.g. 30d)"},
	"flag.dry_run":     {"削除せずに対象を表示する", "list what would be deleted, delete nothing"},

	"err.q_sub":             {"quarantine の操作を指定してください (list, show, export, release, delete, hold, purge)", "quarantine needs an operation (list, show, export, release, delete, hold, purge)"},
	"err.q_unknown_sub":     {"quarantine の不明な操作です: %s", "unknown quarantine operation: %s"},
	"err.audit_sub":         {"audit の操作を指定してください (verify, list)", "audit needs an operation (verify, list)"},
	"err.audit_unknown_sub": {"audit の不明な操作です: %s", "unknown audit operation: %s"},
	"err.extra_args":        {"余分な引数があります: %s", "unexpected arguments: %s"},
	"err.q_noid":            {"保全IDを指定してください", "no quarantine ID given"},
	"err.q_badid":           {"保全IDの形式ではありません (26文字の英数字): %q", "not a quarantine ID (26 letters and digits): %q"},
	"err.q_notfound":        {"保全項目が見つかりません: %s", "no such quarantined item: %s"},
	"err.q_held":            {"%s は訴訟ホールド中のため削除できません (解除: mugai quarantine hold %[1]s --off)", "%s is under legal hold and cannot be deleted (to release it: mugai quarantine hold %[1]s --off)"},
	"err.q_key":             {"暗号鍵が違うか、ありません (設定 quarantine.key_file を確認してください): %v", "the encryption key is wrong or missing (check quarantine.key_file): %v"},
	"err.q_keyfile":         {"鍵ファイル %s を使えません: %v", "cannot use the key file %s: %v"},
	"err.q_corrupt":         {"%s の保存データが壊れています (ハッシュが一致しません)。何も書き出していません: %v", "the stored data of %s is damaged (hash mismatch); nothing was written: %v"},
	"err.q_internal":        {"保全領域の操作に失敗しました: %v", "the quarantine operation failed: %v"},
	"err.q_open":            {"保全領域 %s を開けません: %v", "cannot open the quarantine %s: %v"},
	"err.q_open_pg":         {"保全領域 (PostgreSQL) に接続できません: %v", "cannot connect to the quarantine (PostgreSQL): %v"},
	"err.q_notdir":          {"保全領域 %s はディレクトリではありません (設定 quarantine.dir を確認してください)", "the quarantine %s is not a directory (check quarantine.dir)"},
	"err.q_nodir":           {"保全領域 %s がありません (設定 quarantine.dir を確認してください)", "the quarantine %s does not exist (check quarantine.dir)"},
	"err.q_put":             {"%s: 原本を保存できなかったため、無害化していません: %v", "%s: the original could not be kept, so it was not sanitized: %v"},
	"err.audit_append":      {"監査ログに記録できません: %v", "cannot append to the audit log: %v"},
	"err.audit_read":        {"監査ログを読めません: %v", "cannot read the audit log: %v"},
	"err.canceled":          {"中断されました", "interrupted"},
	"err.bad_time":          {"%s の日時を解釈できません: %q (例: 2026-11-01、2026-11-01T09:00:00+09:00、7d、24h)", "%s: cannot read the time %q (e.g. 2026-11-01, 2026-11-01T09:00:00+09:00, 7d, 24h)"},
	"err.bad_range":         {"期間の始まり (%s) が終わり (%s) より後です", "the start of the period (%s) is not before its end (%s)"},
	"err.bad_limit":         {"件数には0以上の数を指定してください: %d", "the count must be 0 or more: %d"},
	"err.bad_outcome":       {"判定は sanitized, textized, passed, blocked のいずれかです: %s", "the outcome must be sanitized, textized, passed or blocked: %s"},
	"err.bad_age":           {"期間を解釈できません: %q (例: 30d、12h)", "cannot read the age %q (e.g. 30d, 12h)"},
	"err.no_reason":         {"--reason で理由を指定してください (監査ログに記録されます)", "give a reason with --reason (it is recorded in the audit log)"},
	"err.export_no_out":     {"-o で書き出すファイルを指定してください", "give the file to write with -o"},
	"err.export_exists":     {"%s はすでにあります。上書きするには --force を指定してください", "%s exists; use --force to replace it"},
	"err.export_isdir":      {"%s はディレクトリです。ファイル名を指定してください", "%s is a directory; give a file name"},
	"err.bad_part":          {"部分の番号の形式が違います: %q (例: 2, 1.3)", "not a part number: %q (e.g. 2, 1.3)"},
	"err.bad_addr":          {"メールアドレスの形式ではありません: %q", "not a mail address: %q"},
	"err.no_rcpt":           {"%s には宛先がありません。--to で配送先を指定してください", "%s has no recipients; give one with --to"},
	"err.part_not_mail":     {"%s はメールではないため --part は使えません", "%s is not a mail, so --part does not apply"},
	"err.part_missing":      {"部分 %s を %s から取り出せません: %s", "cannot take part %s out of %s: %s"},
	"err.deliver":           {"配送できませんでした (何も配送していません): %v", "delivery failed (nothing was delivered): %v"},

	"col.id":          {"保全ID", "ID"},
	"col.received":    {"受信日時", "Received"},
	"col.from":        {"送信者", "From"},
	"col.to":          {"宛先", "To"},
	"col.subject":     {"件名", "Subject"},
	"col.size":        {"サイズ", "Size"},
	"col.outcome":     {"判定", "Outcome"},
	"col.delivery":    {"配送", "Delivery"},
	"col.hold":        {"保全", "Hold"},
	"col.origin":      {"経路", "Origin"},
	"col.client":      {"接続元", "Client"},
	"col.findings":    {"検出", "Findings"},
	"col.retain":      {"保存期限", "Retain until"},
	"col.seq":         {"番号", "Seq"},
	"col.time":        {"日時", "Time"},
	"col.event":       {"種別", "Event"},
	"col.item":        {"対象", "Item"},
	"col.actor":       {"実行者", "Actor"},
	"col.reason":      {"理由", "Reason"},
	"col.count":       {"件数", "Count"},
	"col.rule":        {"ルール", "Rule"},
	"col.description": {"説明", "Description"},
	"col.domain":      {"送信者ドメイン", "Sender domain"},
	"col.type":        {"種類", "Type"},
	"col.rcpt":        {"宛先", "Recipient"},
	"col.date":        {"日付", "Date"},
	"col.volume":      {"容量", "Volume"},

	"outcome.none":         {"未判定", "pending"},
	"delivery.pending":     {"未処理", "pending"},
	"delivery.delivered":   {"配送済み", "delivered"},
	"delivery.undelivered": {"配送失敗", "undelivered"},
	"delivery.blocked":     {"遮断", "blocked"},
	"delivery.released":    {"解放済み", "released"},
	"origin.smtp":          {"メール (SMTP)", "mail (SMTP)"},
	"origin.filedrop":      {"ファイル受け渡し", "file drop"},
	"origin.cli":           {"コマンド (mugai sanitize)", "command (mugai sanitize)"},

	"lhold.on":          {"訴訟ホールド中 (削除されません)", "under legal hold (never deleted)"},
	"lhold.off":         {"なし", "none"},
	"lhold.on_short":    {"ホールド", "held"},
	"lhold.done_on":     {"%s を訴訟ホールドにしました", "%s is now under legal hold"},
	"lhold.already_on":  {"%s はすでに訴訟ホールド中です", "%s was already under legal hold"},
	"lhold.done_off":    {"%s の訴訟ホールドを解除しました", "the legal hold on %s was released"},
	"lhold.already_off": {"%s は訴訟ホールド中ではありません", "%s was not under legal hold"},

	"list.none":    {"該当する保全項目はありません", "no matching items"},
	"list.count":   {"%d件", "%d items"},
	"list.limited": {"(最大 %d 件まで表示しています。--limit で変更できます)", "(showing at most %d; change with --limit)"},
	"list.more":    {" 他%d件", " and %d more"},

	"show.size":       {"%s (%d バイト)", "%s (%d bytes)"},
	"show.report":     {"無害化レポート:", "Sanitization report:"},
	"show.bad_report": {"  (レポートを読めません: %v)", "  (the report cannot be read: %v)"},

	"export.done":       {"%s の原本を %s に書き出しました (%d バイト、ハッシュ一致)", "exported the original of %s to %s (%d bytes, hash verified)"},
	"delete.done":       {"%s を削除しました", "deleted %s"},
	"purge.done":        {"%d件を削除しました", "purged %d items"},
	"purge.dry":         {"%d件が削除の対象です (--dry-run のため削除していません)", "%d items would be purged (--dry-run: nothing deleted)"},
	"release.done":      {"%s の原本を %s 宛てに解放しました: %s", "released the original of %s to %s: %s"},
	"release.done_part": {"%s の部分 %s を %s 宛てに解放しました: %s", "released part %[2]s of %[1]s to %[3]s: %[4]s"},
	"release.subject":   {"[解放] ", "[released] "},
	"release.whole":     {"原本全体", "the whole original"},
	"release.note": {`このメールは、無害化ゲートウェイ (mugai) が保全していた原本から、運用担当者が確認のうえ解放したものです。
添付の内容は無害化されていません。取り扱いには注意してください。

保全ID: %s
解放した部分: %s
解放した担当者: %s
理由: %s
`, `This mail carries content that the sanitization gateway (mugai) kept, released by an operator after review.
The attached content has NOT been sanitized. Handle it with care.

Quarantine ID: %s
Part released: %s
Released by: %s
Reason: %s
`},

	"audit.ok":                {"監査ログは正常です (%d件)", "the audit log is intact (%d entries)"},
	"audit.tampered_at":       {"監査ログが改ざんされています: %d 番目の記録から検証に失敗しました", "the audit log has been tampered with: verification fails at entry %d"},
	"audit.tampered":          {"監査ログが改ざんされています", "the audit log has been tampered with"},
	"audit.none":              {"該当する監査ログの記録はありません", "no matching audit entries"},
	"event.received":          {"受信", "received"},
	"event.outcome":           {"判定", "outcome"},
	"event.delivered":         {"配送", "delivered"},
	"event.blocked":           {"遮断 (通知を配送)", "blocked (notice delivered)"},
	"event.undelivered":       {"配送失敗 (再送待ち)", "undelivered (upstream retries)"},
	"event.incident_hold_on":  {"中継の一時停止", "relay hold on"},
	"event.incident_hold_off": {"中継の一時停止を解除", "relay hold off"},
	"event.held":              {"保留", "held"},
	"event.released":          {"解放", "released"},
	"event.release_started":   {"解放の開始", "release started"},
	"event.release_failed":    {"解放の失敗", "release failed"},
	"event.exported":          {"書き出し", "exported"},
	"event.deleted":           {"削除", "deleted"},
	"event.purged":            {"期限切れ削除", "purged"},
	"event.config":            {"設定読み込み", "config loaded"},
	"event.hold_on":           {"ホールド設定", "hold on"},
	"event.hold_off":          {"ホールド解除", "hold off"},

	"report.title":         {"mugai 点検レポート", "mugai review report"},
	"report.period":        {"期間: %s 〜 %s", "Period: %s to %s"},
	"report.beginning":     {"最初", "the beginning"},
	"report.total":         {"合計: %d件 (%s)", "Total: %d items (%s)"},
	"report.by_outcome":    {"判定別", "By outcome"},
	"report.by_finding":    {"検出ルール別 (該当した項目数)", "By finding rule (items)"},
	"report.by_domain":     {"送信者ドメイン別", "By sender domain"},
	"report.no_sender":     {"(送信者なし)", "(no sender)"},
	"report.blocked_types": {"ブロックされた種類 (部分を含む)", "Blocked types (parts included)"},
	"report.top_rcpts":     {"宛先 (上位)", "Top recipients"},
	"report.by_day":        {"日別", "Per day"},
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

package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
)

// Config is the policy file. Every field's zero value means its documented
// default; Default returns the defaults filled in, and Load decodes a file on
// top of them.
type Config struct {
	// Lang is the language of notices, reports and CLI messages: "ja"
	// (default) or "en".
	Lang string `toml:"lang"`

	// TempDir holds spool files for inputs larger than limits.spool_memory.
	// Empty means the system temp directory.
	TempDir string `toml:"temp_dir"`

	// Limits bound the work on each item.
	Limits Limits `toml:"limits"`

	// Actions maps each allowed type to what is done with it: "sanitize"
	// (rebuild it without risk factors), "verify" (pass the original
	// unchanged only if no risk factor is found, else block) or "block".
	// Types not listed are blocked. Entries in a policy file are merged over
	// the defaults (DefaultActions); to deny a default type, set it to
	// "block". Executables, scripts, shortcuts and disk images can only be
	// blocked.
	Actions map[string]string `toml:"actions"`

	// HTML says how HTML files are turned into text.
	HTML HTML `toml:"html"`

	// CSV says how CSV files are cleaned.
	CSV CSV `toml:"csv"`

	// Mail says how mails are turned into text (メールテキスト化).
	Mail Mail `toml:"mail"`

	// PDF configures the PDF sanitizer.
	PDF PDF `toml:"pdf"`

	// Office configures the Office (OOXML and legacy) sanitizers.
	Office Office `toml:"office"`

	// RTF configures the RTF sanitizer.
	RTF RTF `toml:"rtf"`
	// Image configures the image sanitizer (JPEG, PNG, GIF, BMP, TIFF,
	// WebP are decoded and re-encoded; SVG is blocked).
	Image Image `toml:"image"`

	// Quarantine says where originals and the audit log are kept.
	Quarantine Quarantine `toml:"quarantine"`

	// SMTP configures the relay of `mugai serve`.
	SMTP SMTP `toml:"smtp"`

	// Scan configures malware scanning with clamd (see docs/clamd.md).
	Scan Scan `toml:"scan"`
	// Metrics configures the Prometheus metrics and health endpoints of
	// `mugai serve`.
	Metrics Metrics `toml:"metrics"`

	// Log configures the service log of `mugai serve`.
	Log Log `toml:"log"`
	// Filedrop configures the watched folders of `mugai serve`.
	Filedrop Filedrop `toml:"filedrop"`
}

// Scan configures the malware scan of each original (and optionally each
// output) by ClamAV's daemon. Without an address nothing is scanned.
type Scan struct {
	// Clamd is the daemon's address: "unix:/run/clamav/clamd.ctl" or
	// "tcp:host:port". Empty: no malware scan.
	Clamd string `toml:"clamd"`
	// Required (default true when clamd is set): when clamd is down, slow or
	// answers an error, nothing is processed (the relay answers 451 and the
	// upstream retries; the file drop retries later). false: the item goes
	// on unscanned with a recorded av.unavailable finding.
	Required *bool `toml:"required"`
	// ScanOutputs also scans each sanitized output before it crosses.
	// Default false.
	ScanOutputs bool `toml:"scan_outputs"`
	// Timeout bounds each step of talking to clamd (connecting, sending
	// each chunk, waiting for the verdict). Default 30s.
	Timeout Duration `toml:"timeout"`
	// MaxSize is the largest item sent to clamd; a larger one is blocked
	// as not fully scanned (av.incomplete). Keep it at or below clamd's
	// StreamMaxLength. Default 100MB.
	MaxSize ByteSize `toml:"max_size"`
}

// IsRequired reports whether a failed scan stops processing.
func (s Scan) IsRequired() bool {
	if s.Clamd == "" {
		return false
	}
	return s.Required == nil || *s.Required
}

// Metrics configures the HTTP listener for /metrics (Prometheus), /healthz
// and /readyz.
type Metrics struct {
	// Listen is the address of the metrics and health listener. Default
	// "127.0.0.1:9225" (loopback only); "" turns it off. The endpoints
	// carry no mail content, but expose them beyond loopback only to the
	// monitoring network.
	Listen string `toml:"listen"`
	// ReadyTimeout bounds each readiness check (the store write, the dial
	// to the next hop, the scanner). Default 2s.
	ReadyTimeout Duration `toml:"ready_timeout"`
}

// Log configures the service log (one JSON object per line by default).
type Log struct {
	// Format: "json" (default, one object per line) or "text" (key=value).
	Format string `toml:"format"`
	// Output: "stdout" (default; journald or the container runtime keeps
	// it), "stderr" or "syslog".
	Output string `toml:"output"`
	// Level: "debug", "info" (default), "warn" or "error".
	Level string `toml:"level"`
	// Timezone of the times written in the log, as an IANA name. Default
	// "Asia/Tokyo" (JST, +09:00); "Local" uses the machine's zone, "UTC"
	// UTC. Every time carries its offset.
	Timezone string `toml:"timezone"`
	// SyslogAddress with output = "syslog": "" (default) is the local
	// syslog socket; "udp:host:514" or "tcp:host:514" a remote server.
	SyslogAddress string `toml:"syslog_address"`
	// SyslogFacility with output = "syslog": "mail" (default), "daemon" or
	// "local0" … "local7".
	SyslogFacility string `toml:"syslog_facility"`
	// SyslogTag with output = "syslog". Default "mugai".
	SyslogTag string `toml:"syslog_tag"`
}

// Filedrop configures the file drop: folders on the Internet side where
// staff drop files, and the folders on the LGWAN side where the sanitized
// copies and their reports appear.
type Filedrop struct {
	// Workers sanitizing files at once, over all folders. Default 2.
	Workers int `toml:"workers"`
	// RetryMin and RetryMax bound the backoff after a file could not be
	// processed (outbox unwritable, disk full, quarantine or scanner
	// down): the wait doubles from RetryMin up to RetryMax. Defaults 5s
	// and 5m.
	RetryMin Duration `toml:"retry_min"`
	RetryMax Duration `toml:"retry_max"`
	// Folders watched. A policy file without [[filedrop.folder]] keeps the
	// default pair ./var/drop/in → ./var/drop/out; `folder = []` under
	// [filedrop] turns the file drop off.
	Folders []Folder `toml:"folder"`
}

// Folder is one watched inbox and its outbox. Zero fields take the
// defaults described on each.
type Folder struct {
	// Name in logs and the audit log. Default: the inbox path.
	Name string `toml:"name"`
	// Inbox is watched for files (required).
	Inbox string `toml:"inbox"`
	// Outbox receives the sanitized copies and reports (required; not
	// inside the inbox, nor the inbox inside it).
	Outbox string `toml:"outbox"`
	// Work holds claimed files while they are processed; it must be on the
	// inbox's file system (files are claimed by rename). Default
	// "<inbox>/.mugai-work". Nodes sharing an inbox share it too.
	Work string `toml:"work"`
	// Subfolders mirrors one level of per-department subfolders: a file
	// dropped in <inbox>/総務課/ appears in <outbox>/総務課/. Without it,
	// subfolders of the inbox are ignored. Default false.
	Subfolders bool `toml:"subfolders"`
	// StableTime: a file is taken once its size and modification time have
	// not changed for this long (a file renamed into the inbox is taken at
	// once). Default 5s.
	StableTime Duration `toml:"stable_time"`
	// Rescan is the interval of full scans of the inbox, besides file
	// system events (which network shares may lose). Default 30s.
	Rescan Duration `toml:"rescan"`
	// Report is the format of the report beside each output:
	// "ja" (<name>.mugai.txt in Japanese), "en" (in English) or "json"
	// (<name>.mugai.json). Default: lang.
	Report string `toml:"report"`
	// Mode of outputs and reports, octal. Default "0644".
	Mode string `toml:"mode"`
	// Group owning outputs and reports (name or number). Default: the
	// service's.
	Group string `toml:"group"`
	// MaxInput: larger files are blocked with a report and not read.
	// Default limits.max_input.
	MaxInput ByteSize `toml:"max_input"`
	// Actions for this folder, merged over [actions] (for example a
	// folder where only PDF is accepted sets every other type to "block").
	Actions map[string]string `toml:"actions"`
}

// Default values of the file drop.
const (
	DefaultDropInbox      = "./var/drop/in"
	DefaultDropOutbox     = "./var/drop/out"
	DefaultDropWorkers    = 2
	DefaultDropStableTime = Duration(5 * time.Second)
	DefaultDropRescan     = Duration(30 * time.Second)
	DefaultDropRetryMin   = Duration(5 * time.Second)
	DefaultDropRetryMax   = Duration(5 * time.Minute)
	DefaultDropMode       = "0644"
	ReportJSON            = "json"
)

// SMTP configures the relay between the Internet-side MTA and the LGWAN
// side.
type SMTP struct {
	// Listen is the address the upstream MTA connects to. Default
	// "127.0.0.1:2525"; "" turns the relay off.
	Listen string `toml:"listen"`
	// Hostname in the greeting and Received lines. Default: the host name.
	Hostname string `toml:"hostname"`
	// Networks the upstream MTA may connect from (CIDR). Default loopback.
	Networks []string `toml:"networks"`
	// Domains accepted as recipients (with subdomains). Empty accepts any
	// recipient, which is allowed only when networks are loopback.
	Domains []string `toml:"domains"`
	// NextHops ("host:port") tried in order. Empty: cleared mail goes into
	// the Maildir outbox.
	NextHops []string `toml:"next_hops"`
	// NextHopTLS: "opportunistic" (default), "required" or "none".
	NextHopTLS string `toml:"next_hop_tls"`
	// Outbox is the Maildir used when there is no next hop. Default
	// "./var/outbox".
	Outbox string `toml:"outbox"`
	// TLSCert and TLSKey (PEM files) enable STARTTLS for the upstream MTA.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
	// MaxMessageSize is enforced while DATA streams in (552). Default 50MB.
	MaxMessageSize ByteSize `toml:"max_message_size"`
	// MaxRecipients per message. Default 1000.
	MaxRecipients int `toml:"max_recipients"`
	// MaxSessions open at once; over it, 421 at connect. Default 64.
	MaxSessions int `toml:"max_sessions"`
	// MaxSanitizing messages in the engine at once; over it, 451. Default 32
	// (Postfix opens up to 20 connections to one destination by default).
	MaxSanitizing int `toml:"max_sanitizing"`
	// MaxSanitizingBytes caps the total size of the messages in the engine
	// at once; more wait in line (451 after next_hop_timeout), and one
	// larger than the cap runs alone. Keeps memory flat. Default 16MB.
	MaxSanitizingBytes ByteSize `toml:"max_sanitizing_bytes"`
	// ReadTimeout per command or data line. Default 5m.
	ReadTimeout Duration `toml:"read_timeout"`
	// SessionTimeout for a whole connection. Default 30m.
	SessionTimeout Duration `toml:"session_timeout"`
	// NextHopTimeout for each step towards the next hop. Default 2m.
	NextHopTimeout Duration `toml:"next_hop_timeout"`
	// StoreTimeout bounds the wait for the quarantine to keep a message's
	// original; past it the message gets 451 and nothing crosses. Keep it
	// below the upstream MTA's wait for the reply. Default 1m.
	StoreTimeout Duration `toml:"store_timeout"`
	// RatePerClient and RatePerSender cap messages per minute (burst of the
	// same size) to stop mass mail; 0 means no limit.
	RatePerClient int `toml:"rate_per_client"`
	RatePerSender int `toml:"rate_per_sender"`
	// HoldFile: while it exists (`mugai hold on`), new messages get 451 so
	// they wait upstream during an incident. Default "./var/hold".
	HoldFile string `toml:"hold_file"`
	// DrainTimeout is how long SIGTERM waits for the messages in progress
	// before it closes the remaining connections (their senders retry).
	// Default 90s; keep systemd's TimeoutStopSec above it.
	DrainTimeout Duration `toml:"drain_timeout"`
}

// Quarantine configures the store of originals (原本保持) and the audit log.
type Quarantine struct {
	// Backend: "local" (default; a directory with an embedded index) or
	// "postgres" (shared by several nodes).
	Backend string `toml:"backend"`
	// Dir of the local backend. Default "./var/quarantine".
	Dir string `toml:"dir"`
	// DSN of the postgres backend, e.g.
	// "postgres://mugai@db.example.lg.jp/mugai?sslmode=verify-full".
	DSN string `toml:"dsn"`
	// KeyFile holds the 32-byte key that encrypts originals at rest
	// (AES-256-GCM): raw, hex or base64, mode 600. Empty: not encrypted.
	KeyFile string `toml:"key_file"`
	// Retention is how long originals are kept before purge may delete
	// them (legal holds excepted). Default 30d.
	Retention Duration `toml:"retention"`
	// Keep makes `mugai sanitize` store originals too (the relay and the
	// file drop always do). Default false.
	Keep bool `toml:"keep"`
}

// PDF configures the PDF sanitizer.
type PDF struct {
	// Links: "keep" (default) keeps http, https and mailto links;
	// "remove" removes every link action. javascript: and file: links
	// never survive either way.
	Links string `toml:"links"`
	// Attachments: "remove" (default) removes embedded files and file
	// attachment annotations; "sanitize" runs each through the engine
	// like a mail attachment and embeds the result again (blocked ones are
	// removed).
	Attachments string `toml:"attachments"`
	// RasterizeSenders: PDFs in mail from these envelope senders (a full
	// address, or "@domain" with its subdomains) are rasterized even when
	// actions.pdf is "sanitize". actions.pdf = "rasterize" rasterizes
	// every PDF.
	RasterizeSenders []string `toml:"rasterize_senders"`
	// Renderer is poppler's pdftoppm, by name or path. Default "pdftoppm".
	// When rasterizing is configured and it is missing, mugai does not
	// start.
	Renderer string `toml:"renderer"`
	// RasterPixels is the long side of each page image. Default 2000.
	RasterPixels int `toml:"raster_pixels"`
	// RasterMaxPages is the most pages rasterized; a longer PDF is
	// blocked. Default 200.
	RasterMaxPages int `toml:"raster_max_pages"`
	// RasterTimeout bounds one renderer run. Default 60s.
	RasterTimeout Duration `toml:"raster_timeout"`
	// Sandbox: "auto" (default) runs the renderer inside bubblewrap when it
	// works here and without it otherwise (with a warning at startup and in
	// each finding); "required" refuses to start (and to rasterize) without
	// it; "off" never uses it.
	Sandbox string `toml:"sandbox"`
}

// Rasterize is the extra action value of actions.pdf.
const Rasterize = "rasterize"

// RasterizePDF reports whether a PDF from this envelope sender is to be
// rasterized: actions.pdf is "rasterize", or the sender is listed in
// pdf.rasterize_senders.
func (c *Config) RasterizePDF(sender string) bool {
	if c.Actions[string(detect.PDF)] == Rasterize {
		return true
	}
	for _, s := range c.PDF.RasterizeSenders {
		if strings.HasPrefix(s, "@") {
			if inDomain(sender, s[1:]) {
				return true
			}
		} else if sender != "" && strings.EqualFold(sender, s) {
			return true
		}
	}
	return false
}

// Rasterizes reports whether any PDF may be rasterized under c.
func (c *Config) Rasterizes() bool {
	return c.Actions[string(detect.PDF)] == Rasterize || len(c.PDF.RasterizeSenders) > 0
}

// Office configures the Office sanitizers (OOXML, ODF and legacy).
type Office struct {
	// Hyperlinks: "keep" (default) keeps http, https and mailto hyperlinks;
	// "strip" removes them all (the text stays).
	Hyperlinks string `toml:"hyperlinks"`
	// XLSX says how Excel workbooks (xlsx, xlsm) allowed as "sanitize" are
	// handled: "sanitize" (default) rebuilds the package from an allow-list
	// of parts, keeping charts, drawings and comments; "rebuild" writes a
	// fresh workbook holding only cell values, number formats, basic
	// styles, merged cells, column widths and sheet names.
	XLSX string `toml:"xlsx"`
	// KeepFormulas: with xlsx = "rebuild", write formulas too (default
	// false: only their cached values). DDE, command and external-reference
	// formulas are removed either way.
	KeepFormulas bool `toml:"keep_formulas"`
	// LegacyConverter names the LibreOffice executable ("soffice" or a
	// path) that converts legacy doc/xls/ppt files with macros, embedded
	// objects or other active content to docx/xlsx/pptx, which are then
	// sanitized. Empty (default): such files are blocked; clean legacy
	// files pass unchanged either way. The program must be installed.
	LegacyConverter string `toml:"legacy_converter"`
	// LegacyTimeout bounds one conversion. Default 2m.
	LegacyTimeout Duration `toml:"legacy_timeout"`
	// LegacySandbox: "auto" (default) runs the converter inside bubblewrap
	// (bwrap: no network, read-only system) when it is installed; "bwrap"
	// requires it; "none" runs it unconfined.
	LegacySandbox string `toml:"legacy_sandbox"`
}

// RTF configures the RTF sanitizer.
type RTF struct {
	// Mode: "sanitize" (default) writes a new RTF with text and formatting
	// only; "text" converts the RTF to plain text.
	Mode string `toml:"mode"`
}

// Values of Office.XLSX.
const (
	XLSXSanitize = "sanitize"
	XLSXRebuild  = "rebuild"
)

// Image configures the image sanitizer. Its limits are checked from the
// headers before any pixel is decoded.
type Image struct {
	// MaxPixels caps the pixels of one image: all frames of a GIF
	// together, each page of a TIFF. Default 40000000 (an A4 page scanned at 600 dpi, a
	// 24-megapixel photo). Decoding takes up to about 8 bytes per pixel.
	MaxPixels int64 `toml:"max_pixels"`
	// MaxSide caps the width and the height, in pixels. Default 20000.
	MaxSide int `toml:"max_side"`
	// MaxFrames caps the frames of an animated GIF and the pages of a
	// TIFF. Default 1000.
	MaxFrames int `toml:"max_frames"`
	// JPEGQuality is the quality JPEG images are re-encoded at, 50–100.
	// Default 90.
	JPEGQuality int `toml:"jpeg_quality"`
}

// Defaults of the image section.
const (
	DefaultImageMaxPixels   = 40_000_000
	DefaultImageMaxSide     = 20000
	DefaultImageMaxFrames   = 1000
	DefaultImageJPEGQuality = 90
)

// Mail configures the mail sanitizer.
type Mail struct {
	// Mode: "sanitize" (default) re-attaches every attachment that was
	// sanitized or proven harmless and lists the removed ones; "text" is the
	// pure text-ization method: no attachment crosses, all are listed and
	// kept with the original.
	Mode string `toml:"mode"`
	// Prefer: in multipart/alternative, "text" (default) keeps the
	// text/plain version, "html" converts the HTML version to text.
	Prefer string `toml:"prefer"`
	// Notice: where the notice to the recipient goes, "bottom" (default) or
	// "top" of the text.
	Notice string `toml:"notice"`
	// Charset of the text and headers: "utf-8" (default) or "iso-2022-jp"
	// for legacy clients (UTF-8 is still used when a character does not fit).
	Charset string `toml:"charset"`
	// Rules pick another mode for some mail: the first rule whose every
	// given condition matches the envelope decides.
	Rules []MailRule `toml:"rule"`
}

// MailRule chooses the mail mode by envelope.
type MailRule struct {
	// RecipientDomain matches when any envelope recipient is in this domain
	// or one of its subdomains ("example.lg.jp").
	RecipientDomain string `toml:"recipient_domain"`
	// Sender matches the envelope sender: a full address, "@domain" for a
	// whole domain (and its subdomains).
	Sender string `toml:"sender"`
	// Mode for matching mail: "sanitize" or "text".
	Mode string `toml:"mode"`
}

// Limits bound the work on one item; zero means the default.
type Limits struct {
	// MaxInput is the largest item accepted, in bytes. Default 100MB.
	MaxInput ByteSize `toml:"max_input"`
	// MaxOutput is the largest output written for one item. Default 200MB.
	MaxOutput ByteSize `toml:"max_output"`
	// MaxExpanded caps the bytes decompressed from one top-level item,
	// members and parts included. Default 200MB.
	MaxExpanded ByteSize `toml:"max_expanded"`
	// MaxRatio caps expanded bytes per compressed byte of any stream.
	// Default 100.
	MaxRatio int64 `toml:"max_ratio"`
	// MaxEntries caps the parts, members or entries of one container.
	// Default 1000.
	MaxEntries int `toml:"max_entries"`
	// MaxDepth caps nesting (mail in mail, archive in archive). Default 3.
	MaxDepth int `toml:"max_depth"`
	// Timeout is the wall time for one top-level item, its parts included.
	// Default 60s.
	Timeout Duration `toml:"timeout"`
	// SpoolMemory is how much of an item is held in memory before it is
	// spooled to a temp file. Default 1MB.
	SpoolMemory ByteSize `toml:"spool_memory"`
}

// HTML configures HTML → text conversion.
type HTML struct {
	// Links: "text" (default) shows each link target as text after the link,
	// "remove" keeps only the link text, "defang" shows targets as
	// hxxps://example[.]jp so that nothing is clickable.
	Links string `toml:"links"`
}

// CSV configures CSV cleaning.
type CSV struct {
	// Formulas: "neutralize" (default) prefixes cells that a spreadsheet
	// would run as formulas (starting with = + - @, tab or CR) with '; "keep"
	// leaves them (not recommended).
	Formulas string `toml:"formulas"`
	// Strict also quotes cells that are plain numbers such as -12 or +3.5.
	// Default false.
	Strict bool `toml:"strict"`
}

// Named values of the string options.
const (
	LangJA = "ja"
	LangEN = "en"

	LinksText   = "text"
	LinksRemove = "remove"
	LinksDefang = "defang"

	FormulasNeutralize = "neutralize"
	FormulasKeep       = "keep"

	MailSanitize = "sanitize"
	MailText     = "text"
	PreferText   = "text"
	PreferHTML   = "html"
	NoticeBottom = "bottom"
	NoticeTop    = "top"
	CharsetUTF8  = "utf-8"
	CharsetJIS   = "iso-2022-jp"

	BackendLocal    = "local"
	BackendPostgres = "postgres"

	// DefaultMetricsListen is where /metrics, /healthz and /readyz are
	// served by default.
	DefaultMetricsListen = "127.0.0.1:9225"

	// DefaultRetention is how long originals are kept by default.
	DefaultRetention = Duration(30 * 24 * time.Hour)
)

// DefaultActions is the allow-list a policy file starts from. Types whose
// sanitizer has not been built yet are listed as "sanitize" and are blocked
// with policy.unsupported until it exists: so are the documents and images
// with no sanitizer at all (ODF, XPS, XLSB, Outlook .msg, ICO, HEIC, and
// "ole", the compound files that are not Word, Excel or PowerPoint, such as
// Ichitaro .jtd and Hanako), which tells the recipient "cannot be sanitized"
// rather than "not allowed". SVG is listed too: its sanitizer always blocks
// it with image.svg, because no renderer rasterises it.
var DefaultActions = map[string]string{
	"text": "sanitize", "csv": "sanitize", "html": "sanitize", "eml": "sanitize",
	"pdf": "sanitize", "rtf": "sanitize",
	"docx": "sanitize", "docm": "sanitize", "xlsx": "sanitize", "xlsm": "sanitize",
	"pptx": "sanitize", "pptm": "sanitize", "doc": "sanitize", "xls": "sanitize", "ppt": "sanitize",
	"xlsb": "sanitize", "odt": "sanitize", "ods": "sanitize", "odp": "sanitize", "xps": "sanitize",
	"msg": "sanitize", "ole": "sanitize",
	"jpeg": "sanitize", "png": "sanitize", "gif": "sanitize", "bmp": "sanitize",
	"tiff": "sanitize", "webp": "sanitize", "svg": "sanitize", "ico": "sanitize", "heic": "sanitize",
	"zip": "sanitize", "gzip": "sanitize", "tar": "sanitize", "7z": "sanitize", "lzh": "sanitize",
	"bzip2": "sanitize", "xz": "sanitize",
	"empty": "verify",
}

// Default returns the embedded default policy.
func Default() *Config {
	c := &Config{
		Lang: LangJA,
		Limits: Limits{
			MaxInput:    sanitize.DefaultMaxInput,
			MaxOutput:   sanitize.DefaultMaxOutput,
			MaxExpanded: sanitize.DefaultMaxExpanded,
			MaxRatio:    sanitize.DefaultMaxRatio,
			MaxEntries:  sanitize.DefaultMaxParts,
			MaxDepth:    sanitize.DefaultMaxDepth,
			Timeout:     Duration(sanitize.DefaultTimeout),
			SpoolMemory: sanitize.DefaultSpoolMemory,
		},
		Actions: make(map[string]string, len(DefaultActions)),
		HTML:    HTML{Links: LinksText},
		CSV:     CSV{Formulas: FormulasNeutralize},
		Mail:    Mail{Mode: MailSanitize, Prefer: PreferText, Notice: NoticeBottom, Charset: CharsetUTF8},
		PDF:     PDF{Links: "keep", Attachments: "remove", Renderer: "pdftoppm", RasterPixels: 2000, RasterMaxPages: 200, RasterTimeout: Duration(time.Minute), Sandbox: "auto"},
		Office:  Office{Hyperlinks: "keep", LegacyTimeout: Duration(2 * time.Minute), LegacySandbox: "auto", XLSX: XLSXSanitize},
		RTF:     RTF{Mode: "sanitize"},
		Image: Image{
			MaxPixels:   DefaultImageMaxPixels,
			MaxSide:     DefaultImageMaxSide,
			MaxFrames:   DefaultImageMaxFrames,
			JPEGQuality: DefaultImageJPEGQuality,
		},
		SMTP: SMTP{
			Listen:             "127.0.0.1:2525",
			Networks:           []string{"127.0.0.0/8", "::1/128"},
			NextHopTLS:         "opportunistic",
			Outbox:             "./var/outbox",
			MaxMessageSize:     50 << 20,
			MaxRecipients:      1000,
			MaxSessions:        64,
			MaxSanitizing:      32,
			MaxSanitizingBytes: 16 << 20,
			ReadTimeout:        Duration(5 * time.Minute),
			SessionTimeout:     Duration(30 * time.Minute),
			NextHopTimeout:     Duration(2 * time.Minute),
			StoreTimeout:       Duration(time.Minute),
			HoldFile:           "./var/hold",
			DrainTimeout:       Duration(90 * time.Second),
		},
		Scan: Scan{
			Timeout: Duration(30 * time.Second),
			MaxSize: 100 << 20,
		},
		Quarantine: Quarantine{
			Backend:   BackendLocal,
			Dir:       "./var/quarantine",
			Retention: DefaultRetention,
		},
		Metrics: Metrics{
			Listen:       DefaultMetricsListen,
			ReadyTimeout: Duration(2 * time.Second),
		},
		Log: Log{
			Format:         "json",
			Output:         "stdout",
			Level:          "info",
			Timezone:       "Asia/Tokyo",
			SyslogFacility: "mail",
			SyslogTag:      "mugai",
		},
		Filedrop: Filedrop{
			Workers:  DefaultDropWorkers,
			RetryMin: DefaultDropRetryMin,
			RetryMax: DefaultDropRetryMax,
		},
	}
	for k, v := range DefaultActions {
		c.Actions[k] = v
	}
	c.Filedrop.Folders = []Folder{{Inbox: DefaultDropInbox, Outbox: DefaultDropOutbox}}
	c.fillFolders()
	return c
}

// fillFolders gives each folder's zero fields their defaults.
func (c *Config) fillFolders() {
	for i := range c.Filedrop.Folders {
		f := &c.Filedrop.Folders[i]
		if f.Name == "" {
			f.Name = f.Inbox
		}
		if f.Work == "" && f.Inbox != "" {
			f.Work = filepath.Join(f.Inbox, ".mugai-work")
		}
		if f.StableTime == 0 {
			f.StableTime = DefaultDropStableTime
		}
		if f.Rescan == 0 {
			f.Rescan = DefaultDropRescan
		}
		if f.Report == "" {
			f.Report = c.Lang
		}
		if f.Mode == "" {
			f.Mode = DefaultDropMode
		}
		if f.MaxInput == 0 {
			f.MaxInput = c.Limits.MaxInput
		}
	}
}

// ForFolder returns the policy that applies to files dropped in folder f:
// c with f's actions merged over c's and f's input limit.
func (c *Config) ForFolder(f Folder) *Config {
	fc := *c
	fc.Actions = maps.Clone(c.Actions)
	maps.Copy(fc.Actions, f.Actions)
	if f.MaxInput > 0 {
		fc.Limits.MaxInput = f.MaxInput
	}
	return &fc
}

// FileMode parses the folder's mode.
func (f Folder) FileMode() (os.FileMode, error) {
	m, err := strconv.ParseUint(f.Mode, 8, 32)
	if err != nil || m > 0o777 {
		return 0, fmt.Errorf("%q is not an octal file mode such as \"0640\"", f.Mode)
	}
	return os.FileMode(m), nil
}

// Load reads and validates a policy file. Unknown keys, bad values and
// impossible combinations are all reported at once, each with the file name
// and, where it can be found, the line.
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return Parse(path, src)
}

// Parse decodes src (named name in messages) over the defaults and validates
// the result.
func Parse(name string, src []byte) (*Config, error) {
	c := Default()
	c.Filedrop.Folders = nil // [[filedrop.folder]] would merge into the default's
	md, err := toml.NewDecoder(bytes.NewReader(src)).Decode(c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{File: name, Line: pe.Position.Line, Msg: pe.Message}
		}
		return nil, &Error{File: name, Msg: err.Error()}
	}
	if !md.IsDefined("filedrop", "folder") {
		c.Filedrop.Folders = []Folder{{Inbox: DefaultDropInbox, Outbox: DefaultDropOutbox}}
	}
	c.fillFolders()
	var errs []error
	for _, k := range md.Undecoded() {
		errs = append(errs, &Error{File: name, Line: keyLine(src, k), Key: k.String(), Msg: "unknown key"})
	}
	for _, e := range c.validate() {
		e.File = name
		if e.Key != "" {
			e.Line = keyLine(src, strings.Split(e.Key, "."))
		}
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// Validate checks c and returns every problem at once, or nil.
func (c *Config) Validate() error {
	var errs []error
	for _, e := range c.validate() {
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

func (c *Config) validate() []*Error {
	var errs []*Error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &Error{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if c.Lang != LangJA && c.Lang != LangEN {
		bad("lang", "must be %q or %q, not %q", LangJA, LangEN, c.Lang)
	}
	l := c.Limits
	positive := func(key string, v int64) {
		if v <= 0 {
			bad("limits."+key, "must be greater than zero")
		}
	}
	positive("max_input", int64(l.MaxInput))
	positive("max_output", int64(l.MaxOutput))
	positive("max_expanded", int64(l.MaxExpanded))
	positive("max_ratio", l.MaxRatio)
	positive("max_entries", int64(l.MaxEntries))
	positive("max_depth", int64(l.MaxDepth))
	positive("timeout", int64(l.Timeout))
	positive("spool_memory", int64(l.SpoolMemory))
	if l.SpoolMemory > l.MaxInput && l.MaxInput > 0 {
		bad("limits.spool_memory", "is larger than limits.max_input (%s > %s)", l.SpoolMemory, l.MaxInput)
	}
	if l.MaxDepth > 16 {
		bad("limits.max_depth", "%d is unsafe; at most 16", l.MaxDepth)
	}
	if time.Duration(l.Timeout) > 24*time.Hour {
		bad("limits.timeout", "%s is longer than a day", time.Duration(l.Timeout))
	}
	for _, k := range slices.Sorted(maps.Keys(c.Actions)) {
		v := c.Actions[k]
		key := "actions." + k
		kind := detect.Kind(k)
		if !detect.Known(kind) {
			bad(key, "unknown type %q (known: %s)", k, strings.Join(kindNames(), ", "))
			continue
		}
		if kind == detect.PDF && v == Rasterize {
			continue
		}
		m, err := sanitize.ParseMode(v)
		if err != nil {
			bad(key, "unknown action %q (want sanitize, verify or block; rasterize for pdf)", v)
			continue
		}
		if m != sanitize.ModeBlock && detect.ClassOf(kind) == detect.ClassExecutable {
			bad(key, "type %q can only be blocked", k)
		}
	}
	switch c.HTML.Links {
	case LinksText, LinksRemove, LinksDefang:
	default:
		bad("html.links", "must be %q, %q or %q, not %q", LinksText, LinksRemove, LinksDefang, c.HTML.Links)
	}
	switch c.CSV.Formulas {
	case FormulasNeutralize, FormulasKeep:
	default:
		bad("csv.formulas", "must be %q or %q, not %q", FormulasNeutralize, FormulasKeep, c.CSV.Formulas)
	}
	oneOf := func(key, v string, allowed ...string) {
		if !slices.Contains(allowed, v) {
			bad(key, "must be one of %s, not %q", strings.Join(allowed, ", "), v)
		}
	}
	for _, p := range []struct {
		key string
		v   int64
	}{{"image.max_pixels", c.Image.MaxPixels}, {"image.max_side", int64(c.Image.MaxSide)}, {"image.max_frames", int64(c.Image.MaxFrames)}} {
		if p.v <= 0 {
			bad(p.key, "must be greater than zero")
		}
	}
	if c.Image.MaxPixels > 1_000_000_000 {
		bad("image.max_pixels", "%d is unsafe; at most 1000000000", c.Image.MaxPixels)
	}
	if c.Image.MaxSide > 1<<16-1 {
		bad("image.max_side", "%d is larger than any decodable image side (65535)", c.Image.MaxSide)
	}
	if q := c.Image.JPEGQuality; q < 50 || q > 100 {
		bad("image.jpeg_quality", "must be between 50 and 100, not %d", q)
	}
	oneOf("pdf.links", c.PDF.Links, "keep", "remove")
	oneOf("pdf.attachments", c.PDF.Attachments, "remove", "sanitize")
	oneOf("pdf.sandbox", c.PDF.Sandbox, "auto", "required", "off")
	if c.PDF.Renderer == "" {
		bad("pdf.renderer", "must name pdftoppm")
	}
	for key, v := range map[string]int64{"pdf.raster_pixels": int64(c.PDF.RasterPixels), "pdf.raster_max_pages": int64(c.PDF.RasterMaxPages), "pdf.raster_timeout": int64(c.PDF.RasterTimeout)} {
		if v <= 0 {
			bad(key, "must be greater than zero")
		}
	}
	if c.PDF.RasterPixels > 10000 {
		bad("pdf.raster_pixels", "%d is unsafe; at most 10000", c.PDF.RasterPixels)
	}
	if len(c.PDF.RasterizeSenders) > 0 && c.Actions[string(detect.PDF)] != "sanitize" {
		// Verify passes originals and block passes nothing: neither can
		// rasterize for some senders.
		bad("pdf.rasterize_senders", "needs actions.pdf = \"sanitize\" (it is %q)", c.Actions[string(detect.PDF)])
	}
	for i, snd := range c.PDF.RasterizeSenders {
		if !strings.Contains(snd, "@") {
			bad(fmt.Sprintf("pdf.rasterize_senders[%d]", i+1), "%q: want an address or @domain", snd)
		}
	}
	oneOf("office.hyperlinks", c.Office.Hyperlinks, "keep", "strip")
	oneOf("office.legacy_sandbox", c.Office.LegacySandbox, "auto", "bwrap", "none")
	if c.Office.LegacyTimeout <= 0 {
		bad("office.legacy_timeout", "must be greater than zero")
	}
	if cv := c.Office.LegacyConverter; cv != "" {
		if _, err := exec.LookPath(cv); err != nil {
			bad("office.legacy_converter", "%q is not installed or not executable (install LibreOffice, e.g. apt-get install libreoffice-core libreoffice-writer libreoffice-calc libreoffice-impress, or remove the key)", cv)
		}
		if c.Office.LegacySandbox == "bwrap" {
			if _, err := exec.LookPath("bwrap"); err != nil {
				bad("office.legacy_sandbox", "bwrap is not installed (apt-get install bubblewrap)")
			}
		}
	}
	oneOf("rtf.mode", c.RTF.Mode, "sanitize", "text")
	oneOf("office.xlsx", c.Office.XLSX, XLSXSanitize, XLSXRebuild)
	if c.Office.KeepFormulas && c.Office.XLSX != XLSXRebuild {
		bad("office.keep_formulas", "applies only with office.xlsx = %q", XLSXRebuild)
	}
	oneOf("mail.mode", c.Mail.Mode, MailSanitize, MailText)
	oneOf("mail.prefer", c.Mail.Prefer, PreferText, PreferHTML)
	oneOf("mail.notice", c.Mail.Notice, NoticeBottom, NoticeTop)
	oneOf("mail.charset", strings.ToLower(c.Mail.Charset), CharsetUTF8, CharsetJIS)
	oneOf("quarantine.backend", c.Quarantine.Backend, BackendLocal, BackendPostgres)
	if c.Quarantine.Backend == BackendLocal && c.Quarantine.Dir == "" {
		bad("quarantine.dir", "must be set for the local backend")
	}
	if c.Quarantine.Backend == BackendPostgres && c.Quarantine.DSN == "" {
		bad("quarantine.dsn", "must be set for the postgres backend")
	}
	if c.Quarantine.Retention <= 0 {
		bad("quarantine.retention", "must be greater than zero")
	}
	loopbackOnly := true
	for i, n := range c.SMTP.Networks {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			if a, aerr := netip.ParseAddr(n); aerr == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				bad(fmt.Sprintf("smtp.networks[%d]", i+1), "%q is not a network (e.g. 192.0.2.0/24)", n)
				continue
			}
		}
		if !p.Addr().IsLoopback() {
			loopbackOnly = false
		}
	}
	if !loopbackOnly && len(c.SMTP.Domains) == 0 {
		bad("smtp.domains", "must list the accepted recipient domains when smtp.networks goes beyond loopback (otherwise the relay would be open)")
	}
	if c.SMTP.DrainTimeout <= 0 {
		bad("smtp.drain_timeout", "must be greater than zero")
	}
	if c.SMTP.StoreTimeout <= 0 {
		bad("smtp.store_timeout", "must be greater than zero")
	}
	oneOf("smtp.next_hop_tls", c.SMTP.NextHopTLS, "opportunistic", "required", "none")
	for i, h := range c.SMTP.NextHops {
		if _, _, err := net.SplitHostPort(h); err != nil {
			bad(fmt.Sprintf("smtp.next_hops[%d]", i+1), "%q: want host:port", h)
		}
	}
	if (c.SMTP.TLSCert == "") != (c.SMTP.TLSKey == "") {
		bad("smtp.tls_cert", "tls_cert and tls_key go together")
	}
	if c.SMTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.SMTP.Listen); err != nil {
			bad("smtp.listen", "%q: want host:port", c.SMTP.Listen)
		}
	}
	if a := c.Scan.Clamd; a != "" {
		if !validClamdAddress(a) {
			bad("scan.clamd", "%q: want unix:/path/to/clamd.ctl or tcp:host:port", a)
		}
	} else if c.Scan.Required != nil && *c.Scan.Required {
		bad("scan.required", "scanning cannot be required without scan.clamd")
	}
	if c.Scan.Timeout <= 0 {
		bad("scan.timeout", "must be greater than zero")
	}
	if time.Duration(c.Scan.Timeout) > time.Hour {
		bad("scan.timeout", "%s is longer than an hour", time.Duration(c.Scan.Timeout))
	}
	if c.Scan.MaxSize <= 0 {
		bad("scan.max_size", "must be greater than zero")
	}
	if c.Metrics.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Metrics.Listen); err != nil {
			bad("metrics.listen", "%q: want host:port", c.Metrics.Listen)
		}
	}
	if c.Metrics.ReadyTimeout <= 0 {
		bad("metrics.ready_timeout", "must be greater than zero")
	}
	oneOf("log.format", c.Log.Format, "json", "text")
	oneOf("log.output", c.Log.Output, "stdout", "stderr", "syslog")
	oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	if _, err := time.LoadLocation(c.Log.Timezone); err != nil || c.Log.Timezone == "" {
		bad("log.timezone", "%q is not a time zone (e.g. Asia/Tokyo, UTC, Local)", c.Log.Timezone)
	}
	oneOf("log.syslog_facility", c.Log.SyslogFacility, "mail", "daemon", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7")
	if a := c.Log.SyslogAddress; a != "" {
		network, addr, ok := strings.Cut(a, ":")
		if _, _, err := net.SplitHostPort(addr); !ok || (network != "udp" && network != "tcp") || err != nil {
			bad("log.syslog_address", "%q: want udp:host:port or tcp:host:port", a)
		}
	}
	for i, r := range c.Mail.Rules {
		key := fmt.Sprintf("mail.rule[%d]", i+1)
		if r.RecipientDomain == "" && r.Sender == "" {
			bad(key, "needs recipient_domain or sender")
		}
		oneOf(key+".mode", r.Mode, MailSanitize, MailText)
	}
	errs = append(errs, c.validateFiledrop()...)
	return errs
}

func (c *Config) validateFiledrop() []*Error {
	var errs []*Error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &Error{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	d := c.Filedrop
	if d.Workers <= 0 || d.Workers > 256 {
		bad("filedrop.workers", "must be between 1 and 256")
	}
	if d.RetryMin <= 0 || d.RetryMax < d.RetryMin {
		bad("filedrop.retry_min", "retry_min must be positive and not above retry_max")
	}
	// within reports whether p is q or inside it.
	within := func(p, q string) bool {
		p, q = filepath.Clean(p), filepath.Clean(q)
		rel, err := filepath.Rel(q, p)
		return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
	}
	inboxes := map[string]int{}
	for i, f := range d.Folders {
		key := fmt.Sprintf("filedrop.folder[%d]", i+1)
		if f.Inbox == "" || f.Outbox == "" {
			bad(key, "needs inbox and outbox")
			continue
		}
		if within(f.Outbox, f.Inbox) || within(f.Inbox, f.Outbox) {
			bad(key+".outbox", "%q and inbox %q must not contain each other", f.Outbox, f.Inbox)
		}
		if within(f.Work, f.Outbox) {
			bad(key+".work", "%q must not be inside the outbox", f.Work)
		}
		if j, ok := inboxes[filepath.Clean(f.Inbox)]; ok {
			bad(key+".inbox", "%q is already the inbox of folder %d", f.Inbox, j)
		}
		inboxes[filepath.Clean(f.Inbox)] = i + 1
		if f.StableTime < 0 {
			bad(key+".stable_time", "must not be negative")
		}
		if f.Rescan <= 0 {
			bad(key+".rescan", "must be greater than zero")
		}
		oneOf := func(k, v string, allowed ...string) {
			if !slices.Contains(allowed, v) {
				bad(k, "must be one of %s, not %q", strings.Join(allowed, ", "), v)
			}
		}
		oneOf(key+".report", f.Report, LangJA, LangEN, ReportJSON)
		if _, err := f.FileMode(); err != nil {
			bad(key+".mode", "%v", err)
		}
		if f.MaxInput <= 0 {
			bad(key+".max_input", "must be greater than zero")
		}
		for _, k := range slices.Sorted(maps.Keys(f.Actions)) {
			kind := detect.Kind(k)
			m, err := sanitize.ParseMode(f.Actions[k])
			switch {
			case !detect.Known(kind):
				bad(key+".actions."+k, "unknown type %q", k)
			case err != nil:
				bad(key+".actions."+k, "unknown action %q (want sanitize, verify or block)", f.Actions[k])
			case m != sanitize.ModeBlock && detect.ClassOf(kind) == detect.ClassExecutable:
				bad(key+".actions."+k, "type %q can only be blocked", k)
			}
		}
	}
	return errs
}

// validClamdAddress accepts "unix:/abs/path", "/abs/path", "tcp:host:port"
// and "host:port" (the forms package scan/clamd understands).
func validClamdAddress(a string) bool {
	switch {
	case strings.HasPrefix(a, "unix:"):
		return strings.HasPrefix(strings.TrimPrefix(a, "unix:"), "/")
	case strings.HasPrefix(a, "/"):
		return true
	}
	host, port, err := net.SplitHostPort(strings.TrimPrefix(a, "tcp:"))
	return err == nil && host != "" && port != ""
}

// MailMode returns the mail mode for an envelope: the first matching rule's,
// else mail.mode.
func (c *Config) MailMode(sender string, recipients []string) string {
	for _, r := range c.Mail.Rules {
		if r.RecipientDomain != "" && !slices.ContainsFunc(recipients, func(rcpt string) bool { return inDomain(rcpt, r.RecipientDomain) }) {
			continue
		}
		if r.Sender != "" {
			if strings.HasPrefix(r.Sender, "@") {
				if !inDomain(sender, r.Sender[1:]) {
					continue
				}
			} else if !strings.EqualFold(sender, r.Sender) {
				continue
			}
		}
		return r.Mode
	}
	return c.Mail.Mode
}

// inDomain reports whether addr's domain is domain or a subdomain of it.
func inDomain(addr, domain string) bool {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || domain == "" {
		return false
	}
	d := strings.ToLower(strings.TrimSuffix(addr[at+1:], "."))
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	return d == domain || strings.HasSuffix(d, "."+domain)
}

// Mode returns the action for a detected kind: the policy's entry, or block.
// Executables are always blocked, whatever the table says.
func (c *Config) Mode(k sanitize.Kind) sanitize.Mode {
	if detect.ClassOf(k) == detect.ClassExecutable {
		return sanitize.ModeBlock
	}
	v := c.Actions[string(k)]
	if k == detect.PDF && v == Rasterize {
		// Rasterizing is the PDF sanitizer's work (RasterizePDF).
		return sanitize.ModeSanitize
	}
	m, err := sanitize.ParseMode(v)
	if err != nil {
		return sanitize.ModeBlock
	}
	return m
}

// EngineLimits converts the policy limits for the engine.
func (c *Config) EngineLimits() sanitize.Limits {
	l := c.Limits
	return sanitize.Limits{
		MaxInput:    int64(l.MaxInput),
		MaxOutput:   int64(l.MaxOutput),
		MaxExpanded: int64(l.MaxExpanded),
		MaxRatio:    l.MaxRatio,
		MaxParts:    l.MaxEntries,
		MaxDepth:    l.MaxDepth,
		Timeout:     time.Duration(l.Timeout),
		SpoolMemory: int64(l.SpoolMemory),
	}
}

// WriteTOML writes the effective configuration, every type with its action
// included, as a policy file.
func (c *Config) WriteTOML(w io.Writer) error {
	full := *c
	if full.Scan.Clamd != "" && full.Scan.Required == nil {
		req := true
		full.Scan.Required = &req
	}
	full.Actions = make(map[string]string)
	for _, k := range detect.Kinds() {
		full.Actions[string(k)] = c.Mode(k).String()
	}
	if c.Actions[string(detect.PDF)] == Rasterize {
		full.Actions[string(detect.PDF)] = Rasterize
	}
	return toml.NewEncoder(w).Encode(full)
}

// Error is one problem in a policy file.
type Error struct {
	File string
	Line int    // 0 when unknown
	Key  string // dotted key, when the problem is about one
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// keyLine finds the line that sets key (a dotted path) in a TOML source, by
// following table headers. It returns 0 when the key is not found, which can
// happen for inline tables or dotted keys; the message still names the key.
func keyLine(src []byte, key []string) int {
	if len(key) == 0 {
		return 0
	}
	table, last := key[:len(key)-1], key[len(key)-1]
	var cur []string
	for i, line := range strings.Split(string(src), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			h := strings.Trim(t, "[] \t")
			if j := strings.Index(h, "]"); j >= 0 {
				h = h[:j]
			}
			cur = splitKey(h)
			if slices.Equal(cur, key) {
				return i + 1
			}
			continue
		}
		eq := strings.Index(t, "=")
		if eq < 0 {
			continue
		}
		k := splitKey(strings.TrimSpace(t[:eq]))
		full := append(slices.Clone(cur), k...)
		if slices.Equal(full, key) || (slices.Equal(cur, table) && len(k) == 1 && k[0] == last) {
			return i + 1
		}
	}
	return 0
}

func splitKey(s string) []string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return parts
}

func kindNames() []string {
	var out []string
	for _, k := range detect.Kinds() {
		out = append(out, string(k))
	}
	return out
}

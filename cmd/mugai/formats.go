package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/mugai-project/mugai/formats/archive"
	"github.com/mugai-project/mugai/formats/csv"
	"github.com/mugai-project/mugai/formats/html"
	"github.com/mugai-project/mugai/formats/image"
	"github.com/mugai-project/mugai/formats/mail"
	"github.com/mugai-project/mugai/formats/odf"
	"github.com/mugai-project/mugai/formats/ole"
	"github.com/mugai-project/mugai/formats/ooxml"
	"github.com/mugai-project/mugai/formats/pdf"
	"github.com/mugai-project/mugai/formats/rtf"
	"github.com/mugai-project/mugai/formats/text"
	"github.com/mugai-project/mugai/formats/xlsx"
	"github.com/mugai-project/mugai/policy"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
	"github.com/mugai-project/mugai/scan/clamd"
)

// newEngine wires the policy, the format table and the malware scanner
// into an engine.
func newEngine(cfg *policy.Config, log *slog.Logger) *sanitize.Engine {
	e := &sanitize.Engine{
		Sanitizers: sanitizers(cfg),
		Mode:       cfg.Mode,
		Limits:     cfg.EngineLimits(),
		TempDir:    cfg.TempDir,
		Log:        log,
	}
	if cfg.Scan.Clamd != "" {
		e.Scanner = newScanner(cfg)
		e.ScanRequired = cfg.Scan.IsRequired()
		e.ScanOutputs = cfg.Scan.ScanOutputs
	}
	return e
}

// newScanner returns the clamd client of the policy's [scan] section. The
// address was validated with the policy; should the client still refuse
// it, every scan fails (and, when required, nothing is processed).
func newScanner(cfg *policy.Config) sanitize.Scanner {
	c, err := clamdClient(cfg)
	if err != nil {
		return failingScanner{err}
	}
	return c
}

func clamdClient(cfg *policy.Config) (*clamd.Client, error) {
	return clamd.New(clamd.Config{
		Address: cfg.Scan.Clamd,
		Timeout: time.Duration(cfg.Scan.Timeout),
		MaxSize: int64(cfg.Scan.MaxSize),
	})
}

type failingScanner struct{ err error }

func (f failingScanner) Scan(context.Context, io.Reader, int64) (sanitize.ScanResult, error) {
	return sanitize.ScanResult{}, f.err
}

// sanitizers is the one table of formats mugai handles, built from the
// policy's per-format options. A kind missing here is blocked with
// policy.unsupported even when the policy allows it.
func sanitizers(cfg *policy.Config) map[sanitize.Kind]sanitize.Sanitizer {
	office := ooxml.New(officeOptions(cfg))
	legacy := ole.New(legacyOptions(cfg))
	arc := archive.New(archive.Options{Lang: cfg.Lang})
	odfs := odf.New(odf.Options{StripHyperlinks: cfg.Office.Hyperlinks == "strip"})
	img := image.New(imageOptions(cfg))
	m := map[sanitize.Kind]sanitize.Sanitizer{
		detect.Text: text.New(text.Options{}),
		detect.CSV: csv.New(csv.Options{
			KeepFormulas:   cfg.CSV.Formulas == policy.FormulasKeep,
			StrictFormulas: cfg.CSV.Strict,
		}),
		detect.HTML:   html.New(htmlOptions(cfg)),
		detect.EML:    mailSanitizer(cfg),
		detect.PDF:    pdf.New(pdfOptions(cfg)),
		detect.DOCX:   office,
		detect.DOCM:   office,
		detect.XLSX:   office,
		detect.XLSM:   office,
		detect.PPTX:   office,
		detect.PPTM:   office,
		detect.DOC:    legacy,
		detect.XLS:    legacy,
		detect.PPT:    legacy,
		detect.RTF:    rtf.New(rtfOptions(cfg)),
		detect.ZIP:    arc,
		detect.GZIP:   arc,
		detect.TAR:    arc,
		detect.SevenZ: arc,
		detect.LZH:    arc,
		detect.BZIP2:  arc,
		detect.XZ:     arc,
		detect.ODT:    odfs,
		detect.ODS:    odfs,
		detect.ODP:    odfs,
		// Images are re-encoded from their pixels; WebP comes out as PNG.
		// SVG is blocked (image.svg): nothing rasterises it.
		detect.JPEG: img,
		detect.PNG:  img,
		detect.GIF:  img,
		detect.BMP:  img,
		detect.TIFF: img,
		detect.WEBP: img,
		detect.SVG:  img,
	}
	if cfg.Office.XLSX == policy.XLSXRebuild {
		// The rebuilt workbook is XLSX; its re-scan is a rebuild again.
		rb := xlsx.New(xlsx.Options{KeepFormulas: cfg.Office.KeepFormulas, TmpDir: cfg.TempDir})
		m[detect.XLSX], m[detect.XLSM] = rb, rb
	}
	return m
}

func imageOptions(cfg *policy.Config) image.Options {
	return image.Options{
		MaxWidth:    cfg.Image.MaxSide,
		MaxHeight:   cfg.Image.MaxSide,
		MaxPixels:   cfg.Image.MaxPixels,
		MaxFrames:   cfg.Image.MaxFrames,
		JPEGQuality: cfg.Image.JPEGQuality,
	}
}

// mailSanitizer builds the mail sanitizer; its mode follows the policy's
// per-envelope rules.
func mailSanitizer(cfg *policy.Config) *mail.Sanitizer {
	base := mail.Options{
		PreferHTML: cfg.Mail.Prefer == policy.PreferHTML,
		HTML:       htmlOptions(cfg),
		Lang:       cfg.Lang,
		NoticeTop:  cfg.Mail.Notice == policy.NoticeTop,
		ISO2022JP:  strings.EqualFold(cfg.Mail.Charset, policy.CharsetJIS),
	}
	s := mail.New(base)
	s.Choose = func(ctx context.Context) mail.Options {
		o := base
		tr := sanitize.TraceFrom(ctx)
		if cfg.MailMode(tr.From, tr.To) == policy.MailText {
			o.Mode = mail.ModeText
		}
		return o
	}
	return s
}

func htmlOptions(cfg *policy.Config) html.Options {
	o := html.Options{}
	switch cfg.HTML.Links {
	case policy.LinksRemove:
		o.Links = html.LinkRemove
	case policy.LinksDefang:
		o.Links = html.LinkDefang
	}
	if cfg.Lang == policy.LangEN {
		o.ImageLabel = "image"
	}
	return o
}

func pdfOptions(cfg *policy.Config) pdf.Options {
	o := pdf.Options{}
	if cfg.PDF.Links == "remove" {
		o.Links = pdf.LinkRemove
	}
	if cfg.PDF.Attachments == "sanitize" {
		o.Attachments = pdf.AttachmentsSanitize
	}
	o.Raster = pdf.RasterOptions{
		Pdftoppm: cfg.PDF.Renderer,
		Pixels:   cfg.PDF.RasterPixels,
		MaxPages: cfg.PDF.RasterMaxPages,
		Timeout:  time.Duration(cfg.PDF.RasterTimeout),
	}
	switch cfg.PDF.Sandbox {
	case "required":
		o.Raster.Sandbox = pdf.SandboxRequired
	case "off":
		o.Raster.Sandbox = pdf.SandboxOff
	}
	if cfg.Rasterizes() {
		o.RasterizeFor = func(ctx context.Context) bool {
			return cfg.RasterizePDF(sanitize.TraceFrom(ctx).From)
		}
	}
	return o
}

// checkEnvironment checks what the policy needs from this machine before
// anything starts: the PDF renderer when rasterizing is configured, and
// bubblewrap when it is required. A sandbox that is only preferred
// ("auto") but unusable is a warning.
func checkEnvironment(cfg *policy.Config) (warnings []string, err error) {
	o := pdfOptions(cfg)
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if cfg.Rasterizes() && o.Raster.Sandbox == pdf.SandboxAuto {
		if err := o.Raster.CheckSandbox(); err != nil {
			warnings = append(warnings, err.Error())
		}
	}
	return warnings, nil
}

func officeOptions(cfg *policy.Config) ooxml.Options {
	o := ooxml.Options{}
	if cfg.Office.Hyperlinks == "strip" {
		o.Hyperlinks = ooxml.HyperlinksStrip
	}
	return o
}

// legacyOptions configures doc/xls/ppt: other OLE2 files (MSG, Visio,
// Ichitaro, encrypted OOXML) have no sanitizer and stay blocked.
func legacyOptions(cfg *policy.Config) ole.Options {
	o := ole.Options{}
	if cfg.Office.LegacyConverter != "" {
		cv := &ole.Converter{
			Command: cfg.Office.LegacyConverter,
			Timeout: time.Duration(cfg.Office.LegacyTimeout),
			TempDir: cfg.TempDir,
		}
		switch cfg.Office.LegacySandbox {
		case "bwrap":
			cv.Sandbox = ole.SandboxBwrap
		case "none":
			cv.Sandbox = ole.SandboxNone
		}
		o.Converter = cv
	}
	return o
}

func rtfOptions(cfg *policy.Config) rtf.Options {
	o := rtf.Options{}
	if cfg.RTF.Mode == "text" {
		o.Mode = rtf.ModeText
	}
	return o
}

package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/mugai-project/mugai/formats/csv"
	"github.com/mugai-project/mugai/formats/html"
	"github.com/mugai-project/mugai/formats/image"
	"github.com/mugai-project/mugai/formats/mail"
	"github.com/mugai-project/mugai/formats/ooxml"
	"github.com/mugai-project/mugai/formats/pdf"
	"github.com/mugai-project/mugai/formats/text"
	"github.com/mugai-project/mugai/policy"
	"github.com/mugai-project/mugai/sanitize"
	"github.com/mugai-project/mugai/sanitize/detect"
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
	office := ooxml.New(officeOptions(cfg))
	img := image.New(imageOptions(cfg))
	return map[sanitize.Kind]sanitize.Sanitizer{
		detect.Text: text.New(text.Options{}),
		detect.CSV: csv.New(csv.Options{
			KeepFormulas:   cfg.CSV.Formulas == policy.FormulasKeep,
			StrictFormulas: cfg.CSV.Strict,
		}),
		detect.HTML: html.New(htmlOptions(cfg)),
		detect.EML:  mailSanitizer(cfg),
		detect.PDF:  pdf.New(pdfOptions(cfg)),
		detect.DOCX: office,
		detect.DOCM: office,
		detect.XLSX: office,
		detect.XLSM: office,
		detect.PPTX: office,
		detect.PPTM: office,
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
	return o
}

func officeOptions(cfg *policy.Config) ooxml.Options {
	o := ooxml.Options{}
	if cfg.Office.Hyperlinks == "strip" {
		o.Hyperlinks = ooxml.HyperlinksStrip
	}
	return o
}

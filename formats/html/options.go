package html

import (
	"errors"
	"fmt"
)

// LinkMode says what becomes of a link's target.
type LinkMode uint8

// Link modes. The zero value is LinkText.
const (
	// LinkText writes the target after the anchor text: "会議資料 [https://example.jp/a.pdf]".
	// The target is left out when the anchor text already shows it.
	LinkText LinkMode = iota
	// LinkRemove keeps the anchor text only.
	LinkRemove
	// LinkDefang is LinkText with every web address made unclickable, in the
	// targets and in the visible text alike: "hxxps://example[.]jp/a.pdf".
	LinkDefang
)

func (m LinkMode) String() string {
	switch m {
	case LinkText:
		return "text"
	case LinkRemove:
		return "remove"
	case LinkDefang:
		return "defang"
	}
	return fmt.Sprintf("linkmode(%d)", m)
}

// ImageMode says what becomes of an image that is neither hidden nor a
// tracking pixel.
type ImageMode uint8

// Image modes. The zero value is ImageAlt.
const (
	// ImageAlt writes "[画像: alt]" where the image has alternative text, and
	// nothing where it has none.
	ImageAlt ImageMode = iota
	// ImageRemove writes nothing for images.
	ImageRemove
)

// Defaults for Options.
const (
	DefaultImageLabel = "画像"
	DefaultMaxToken   = 1 << 20 // bytes
	DefaultMaxDepth   = 512     // open elements tracked
	minMaxToken       = 4 << 10 // smallest MaxToken accepted
	minMaxDepth       = 16
)

// Options tune the conversion. The zero value is the documented default and
// is safe: links become "text [target]", images with alternative text become
// "[画像: alt]", the title is kept, and every bound takes its default.
type Options struct {
	// Links: LinkText (default), LinkRemove or LinkDefang.
	Links LinkMode
	// Images: ImageAlt (default) or ImageRemove.
	Images ImageMode
	// ImageLabel replaces "画像" in "[画像: alt]"; "" means DefaultImageLabel.
	// Use "image" for English notices.
	ImageLabel string
	// OmitTitle leaves out the <title>. By default the title is the first
	// line, followed by a blank line, unless the body's first line already
	// says the same. Mail bodies usually set OmitTitle.
	OmitTitle bool
	// MaxToken bounds one token as the tokenizer buffers it (a run of text,
	// a tag with its attributes, a comment), in bytes; 0 means
	// DefaultMaxToken, and values below 4 KiB are raised to 4 KiB. A longer
	// token is not an error: text is converted piece by piece, and a longer
	// tag is read by a small scanner that keeps only the first 64 KiB of each
	// attribute value (a data: URL of an inline image, typically). Memory
	// for tokenizing stays under about three times MaxToken.
	MaxToken int
	// MaxDepth bounds the open elements tracked; 0 means DefaultMaxDepth.
	// Deeper elements are not tracked (the document goes on flat), and a
	// hidden or dropped element beyond the bound hides the rest of the
	// deepest tracked element, so hidden content never shows by overflow.
	MaxDepth int
	// MaxOutput bounds the bytes written to dst; 0 means no bound from
	// Convert (the Sanitizer passes Item.Limits.MaxOutput). Going over is an
	// error wrapping sanitize.ErrTooLarge.
	MaxOutput int64
	// Charset, used by the Sanitizer only, names the charset of every input
	// (a WHATWG label such as "shift_jis"), overriding the BOM, <meta> and
	// guessing. "" means determine it per file.
	Charset string
}

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	var errs []error
	if o.Links > LinkDefang {
		errs = append(errs, fmt.Errorf("html: unknown link mode %d", o.Links))
	}
	if o.Images > ImageRemove {
		errs = append(errs, fmt.Errorf("html: unknown image mode %d", o.Images))
	}
	if o.MaxToken < 0 {
		errs = append(errs, errors.New("html: MaxToken is negative"))
	}
	if o.MaxDepth < 0 {
		errs = append(errs, errors.New("html: MaxDepth is negative"))
	}
	if o.MaxOutput < 0 {
		errs = append(errs, errors.New("html: MaxOutput is negative"))
	}
	if o.Charset != "" {
		if _, _, err := lookupCharset(o.Charset); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// testMinMaxToken lets tests push the tokenizer into its overflow paths with
// small inputs.
var testMinMaxToken = minMaxToken

func (o Options) maxToken() int {
	n := o.MaxToken
	if n == 0 {
		n = DefaultMaxToken
	}
	return max(n, testMinMaxToken)
}

func (o Options) maxDepth() int {
	n := o.MaxDepth
	if n == 0 {
		n = DefaultMaxDepth
	}
	return max(n, minMaxDepth)
}

func (o Options) imageLabel() string {
	if o.ImageLabel == "" {
		return DefaultImageLabel
	}
	return o.ImageLabel
}

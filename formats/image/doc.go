// Package image sanitizes raster images by decoding them and writing them
// again from their pixels alone (content disarm and reconstruction).
//
// JPEG, PNG and GIF use the standard library; BMP, TIFF and WebP the
// decoders of golang.org/x/image. Whatever is not pixels does not survive:
// EXIF (camera, location), XMP, IPTC, ICC profiles, JPEG comments and APPn
// segments, PNG text and private chunks, GIF comment and application
// extensions, WebP EXIF/XMP/ICCP chunks, TIFF tags other than the ones that
// describe the pixels, the unused entries of a palette (compacted to the
// colours in use, in order of first use), and every byte after the format's
// end marker (JPEG EOI, PNG IEND, GIF trailer, the BMP pixel array, the WebP
// RIFF size), where polyglots and appended archives live.
//
// # Outputs
//
// JPEG stays JPEG, re-encoded at quality 90 by default (Options.JPEGQuality,
// policy image.jpeg_quality): visually lossless for photos, and close to the
// size cameras write. Each pass is lossy, so a JPEG sanitized twice is not
// byte-identical. PNG, GIF (every frame, with its delay, disposal and the
// loop count), BMP and TIFF (every page, each Deflate-compressed, the
// pages chained in a new file) keep their format and are byte-stable when
// sanitized again. WebP has no encoder in
// Go, so it comes out as PNG: Result.Kind is detect.PNG, the output name
// follows (sanitize.OutputName: photo.webp → photo.png) and a finding
// image.converted says so.
//
// The orientation tag (JPEG and WebP EXIF, PNG eXIf, TIFF Orientation) is
// applied to the pixels before it is dropped with the rest of the metadata,
// so the picture displays as it did (image.orientation).
//
// # Limits, checked before decoding
//
// A structural scan reads only headers and skips over compressed data: it
// finds the canvas size, each GIF frame's size and the frame count, and stops
// counting at MaxFrames+1. The decoder's own DecodeConfig then reads the
// header it will trust. Over MaxWidth, MaxHeight, MaxPixels (all frames
// together) or MaxFrames, the image is blocked with image.limit without a
// pixel decoded, so a 100000×100000 PNG of a few hundred bytes costs
// microseconds. Defaults: 20000 pixels a side, 40 million pixels, 1000
// frames; a progressive JPEG may have half the pixels, because its decoder
// keeps every DCT coefficient (4 bytes per pixel and component), and a JPEG
// may have at most 500 scans (each one makes the decoder walk every block). Memory while decoding is about 1.5–6 bytes per pixel for JPEG
// (progressive needs the coefficients), 1 per frame pixel for GIF and up
// to 8 for 16-bit RGBA PNG or TIFF, plus the encoder's buffers.
//
// # Failures
//
// Structural damage, a decoder error and a decoder panic (recovered here)
// wrap sanitize.ErrMalformed; BigTIFF, animated WebP, and kinds this package
// does not decode wrap sanitize.ErrUnsupported. The context is checked
// between the steps and every read goes through the engine's context-aware
// reader, so a deadline stops the work.
//
// # SVG
//
// SVG is markup that can carry script, event handlers, external references
// and foreignObject HTML. The Sanitizer blocks it with image.svg. There is
// no option to rasterise it: that needs a renderer, and none is built in or
// configured.
//
// # Payloads in the pixels
//
// Pixels can be chosen so that an encoder writes attacker bytes: an
// uncompressed BMP row, PNG IDAT data crafted for a known encoder, LZW codes
// in a GIF that spell "<?php" whatever the palette is. Palettes are compacted
// and reordered by a permutation keyed by the content (deterministic, and
// stable when sanitized again), which scrambles payloads made of palette
// entries or literal indices; and every output is scanned for markers such
// as "<?php", "<script" and "javascript:" (case-insensitive, five bytes or
// more so random data almost never has one): a hit blocks the image with
// image.payload.
//
// Rules: image.limit, image.metadata, image.trailing, image.frames,
// image.converted, image.orientation, image.payload, image.svg.
//
// todo: a payload that avoids the marker list (other languages, shorter
// tags such as PHP's "<?=") can still be spelled through the pixels of a
// lossless output; keyed noise in the pixels or our own LZW/deflate with a
// keyed reset would close it.
// todo: a TIFF page after the first that does not decode is left out
// (image.frames); APNG keeps the default image (image.frames); animated
// WebP, BigTIFF, ICO, HEIC, JPEG 2000 and arithmetic-coded or 12-bit JPEG
// are not decoded and are blocked.
// todo: ICC profiles are dropped, so wide-gamut photos lose their colour
// space; CMYK JPEG comes out as YCbCr.
// todo: memory is bounded per image, not across concurrent items.
package image

// Package tnef decodes Microsoft TNEF streams (winmail.dat,
// application/ms-tnef) so that the mail sanitizer can find the attachments
// Outlook and Exchange wrap inside them.
//
// # Format
//
// The reference is [MS-OXTNEF] (Transport Neutral Encapsulation Format Data
// Algorithm), with the MAPI property types of [MS-OXCDATA] 2.11.1. A stream is
// the signature 0x223E9F78 and a 16-bit legacy key, then a sequence of
// attributes, each
//
//	level (1 byte: 1 message, 2 attachment)
//	attribute ID (4 bytes: type in the high word, ID in the low word)
//	length (4 bytes)
//	data (length bytes)
//	checksum (2 bytes: the sum of the data bytes modulo 65536)
//
// all little-endian. Every attachment's attributes begin with
// attAttachRendData. The attributes attMsgProps (message) and attAttachment
// (attachment) carry counted lists of MAPI properties (section 2.1.3.4): a
// property tag, a named-property spec (GUID plus numeric ID or UTF-16 name)
// for IDs from 0x8000, then the value. Variable-length values (PtypString8,
// PtypString, PtypBinary, PtypObject, PtypServerId) and multi-valued
// properties carry a value count; each variable-length value carries its
// size and is padded to 4 bytes; 16-bit fixed values are padded to 4 bytes.
// A PtypObject value starts with its interface ID, counted in its size.
//
// # What is decoded
//
// Decode reads the whole stream, verifies the framing and every checksum, and
// returns a Message with:
//
//   - each attachment's data, from PidTagAttachDataBinary or
//     PidTagAttachDataObject when present (MS-OXTNEF 2.1.3: encapsulated
//     properties win over mapped attributes), else attAttachData. If both
//     are present and differ, the stream is rejected (a reader could show
//     either one), except for an attached message: there attAttachData is a
//     placeholder text for readers without MAPI, and it is dropped.
//   - each attachment's best name (PidTagAttachLongFilename, else
//     attAttachTitle, else PidTagAttachFilename, else PidTagDisplayName;
//     for an attached message the display name, its subject, comes second),
//     with every other distinct name in AltNames so that a policy can judge
//     all of them, and its MIME tag.
//   - an attached message (PidTagAttachDataObject with IID_IMessage) is
//     marked Embedded and its bytes, an embedded TNEF stream, are returned
//     raw: Decode does not recurse.
//   - the plain text body (PidTagBody, else attBody), the HTML body
//     (PidTagBodyHtml / PidTagHtml, raw bytes) and whether a compressed RTF
//     body (PidTagRtfCompressed) is present. RTF is not decompressed.
//
// 8-bit strings are decoded with the code page of attOemCodepage: 932 as
// CP932 (Shift_JIS with the Microsoft extensions), 1252 as windows-1252,
// 65001 as UTF-8, anything else (or no attOemCodepage) as ISO-8859-1. 16-bit
// strings are UTF-16LE. Names are returned as decoded: cleaning them for use
// as file names is the caller's job.
//
// Everything else (recipient table, dates, message class, attachment
// rendering metafiles, named properties) is checked for framing and skipped.
// What Decode does not return is dropped by the caller, which rebuilds the
// mail; so skipping is safe, and only what is returned needs sanitizing.
//
// # Failing closed
//
// Decode returns an error wrapping sanitize.ErrMalformed for a wrong
// signature, an unknown attribute level, a wrong checksum, a truncated
// attribute or property list, an unknown MAPI property type (its length
// cannot be known), an attachment attribute before any attAttachRendData,
// conflicting attachment data, and bytes after the last attribute that do not
// form an attribute. The Debian tnef tool is as strict about checksums and
// trailing garbage. A caller blocks the whole TNEF part on any error.
//
// # Limits
//
// Every limit is checked against the length fields before the memory it
// guards is allocated, so a length of 4 GiB fails at once. Within the
// limits a length field is trusted for at most 1 MiB ahead of the bytes
// that actually arrive, and only once per stream (a short read ends
// decoding). Exceeding a limit returns an error wrapping
// sanitize.ErrTooLarge. Zero fields of Limits take these defaults:
//
//	MaxAttributes      1000     TNEF attributes in the stream
//	MaxAttachments     100      attachments (attAttachRendData attributes)
//	MaxAttachmentSize  50 MiB   data of one attachment
//	MaxTotal           100 MiB  sum of all attribute lengths, which bounds
//	                            the memory Decode holds
//	MaxProperties      10000    MAPI properties across all property lists
//
// Each limit is tested at N and N+1. Time is linear in the input.
//
// todo: decompress PidTagRtfCompressed ([MS-OXRTFCP]) so that an RTF-only
// body can be textized rather than reported.
package tnef

package archive

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ulikunitz/xz/lzma"

	"github.com/mugai-project/mugai/sanitize"
)

// The 7z header pre-check. github.com/bodgit/sevenzip allocates one record
// per count the header claims (files, substreams, times, attributes: up to
// 2^32 each) before reading them, so a header of a few bytes can make it
// allocate tens of gigabytes. checkSevenZipHeader walks the header first
// (7zFormat.txt: StreamsInfo, Folder, SubStreamsInfo, FilesInfo), bounding
// every count by the item's MaxParts, and only a header that passes is
// given to the library. An LZMA or LZMA2 encoded header is decoded here
// (at most sevenZipMaxHeader bytes) and checked the same way; an AES coder
// on the header means encrypted names.

const (
	sevenZipMaxHeader = 16 << 20 // decoded header bytes
	sevenZipMaxCoders = 32       // coders and streams per folder
)

// aesCoder is the method ID of 7-Zip's AES-256 + SHA-256 coder.
var aesCoder = []byte{0x06, 0xF1, 0x07, 0x01}

var (
	errSevenZipCount     = errors.New("7z header: count over the limit")
	errSevenZipEncrypted = errors.New("7z header: encrypted")
	errSevenZipBad       = errors.New("7z header: malformed")
)

// 7z property IDs (7zFormat.txt).
const (
	szEnd              = 0x00
	szHeader           = 0x01
	szArchiveProps     = 0x02
	szAdditionalStream = 0x03
	szMainStreams      = 0x04
	szFilesInfo        = 0x05
	szPackInfo         = 0x06
	szUnpackInfo       = 0x07
	szSubStreams       = 0x08
	szSize             = 0x09
	szCRC              = 0x0A
	szFolder           = 0x0B
	szUnpackSize       = 0x0C
	szNumUnpackStream  = 0x0D
	szEncodedHeader    = 0x17
)

type szReader struct {
	r     *bufio.Reader
	limit uint64
}

func (s *szReader) byte() (byte, error) {
	b, err := s.r.ReadByte()
	if err != nil {
		return 0, errSevenZipBad
	}
	return b, nil
}

// number reads a 7z NUMBER: the leading one bits of the first byte say how
// many little-endian bytes follow.
func (s *szReader) number() (uint64, error) {
	first, err := s.byte()
	if err != nil {
		return 0, err
	}
	var v uint64
	mask := byte(0x80)
	for i := 0; i < 8; i++ {
		if first&mask == 0 {
			return v | uint64(first&(mask-1))<<(8*i), nil
		}
		b, err := s.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(b) << (8 * i)
		mask >>= 1
	}
	return v, nil
}

// count reads a NUMBER that sizes something and bounds it.
func (s *szReader) count(max uint64) (uint64, error) {
	v, err := s.number()
	if err != nil {
		return 0, err
	}
	if v > max {
		return 0, fmt.Errorf("%w: %d, limit %d", errSevenZipCount, v, max)
	}
	return v, nil
}

func (s *szReader) skip(n uint64) error {
	if n > sevenZipMaxHeader {
		return errSevenZipBad
	}
	_, err := s.r.Discard(int(n))
	if err != nil {
		return errSevenZipBad
	}
	return nil
}

func (s *szReader) digests(n uint64) error {
	all, err := s.byte()
	if err != nil {
		return err
	}
	defined := n
	if all == 0 {
		defined = 0
		for i := uint64(0); i < (n+7)/8; i++ {
			b, err := s.byte()
			if err != nil {
				return err
			}
			for ; b != 0; b &= b - 1 {
				defined++
			}
		}
	}
	return s.skip(4 * defined)
}

// szFolderInfo is what the pre-check keeps of a folder.
type szFolderInfo struct {
	coders   [][]byte // method IDs
	props    [][]byte
	outTotal uint64
	unpack   []uint64
}

type szStreams struct {
	packPos   uint64
	packSizes []uint64
	folders   []szFolderInfo
}

func (s *szReader) streamsInfo() (*szStreams, error) {
	si := &szStreams{}
	for {
		id, err := s.byte()
		if err != nil {
			return nil, err
		}
		switch id {
		case szEnd:
			return si, nil
		case szPackInfo:
			if si.packPos, err = s.number(); err != nil {
				return nil, err
			}
			n, err := s.count(s.limit)
			if err != nil {
				return nil, err
			}
			for {
				id, err := s.byte()
				if err != nil {
					return nil, err
				}
				if id == szEnd {
					break
				}
				switch id {
				case szSize:
					si.packSizes = make([]uint64, n)
					for i := range si.packSizes {
						if si.packSizes[i], err = s.number(); err != nil {
							return nil, err
						}
					}
				case szCRC:
					if err := s.digests(n); err != nil {
						return nil, err
					}
				default:
					return nil, errSevenZipBad
				}
			}
		case szUnpackInfo:
			if id, err := s.byte(); err != nil || id != szFolder {
				return nil, errSevenZipBad
			}
			n, err := s.count(s.limit)
			if err != nil {
				return nil, err
			}
			if ext, err := s.byte(); err != nil || ext != 0 {
				return nil, errSevenZipBad
			}
			si.folders = make([]szFolderInfo, n)
			for i := range si.folders {
				if err := s.folder(&si.folders[i]); err != nil {
					return nil, err
				}
			}
			if id, err := s.byte(); err != nil || id != szUnpackSize {
				return nil, errSevenZipBad
			}
			for i := range si.folders {
				f := &si.folders[i]
				f.unpack = make([]uint64, f.outTotal)
				for j := range f.unpack {
					if f.unpack[j], err = s.number(); err != nil {
						return nil, err
					}
				}
			}
			for {
				id, err := s.byte()
				if err != nil {
					return nil, err
				}
				if id == szEnd {
					break
				}
				if id != szCRC {
					return nil, errSevenZipBad
				}
				if err := s.digests(n); err != nil {
					return nil, err
				}
			}
		case szSubStreams:
			nf := uint64(len(si.folders))
			streams := make([]uint64, nf)
			for i := range streams {
				streams[i] = 1
			}
			var total uint64
			id, err := s.byte()
			if err != nil {
				return nil, err
			}
			if id == szNumUnpackStream {
				for i := range streams {
					if streams[i], err = s.count(s.limit); err != nil {
						return nil, err
					}
					total += streams[i]
					if total > s.limit {
						return nil, fmt.Errorf("%w: %d substreams, limit %d", errSevenZipCount, total, s.limit)
					}
				}
				if id, err = s.byte(); err != nil {
					return nil, err
				}
			}
			// Sizes and digests follow; the library reads them with the
			// counts bounded above. Skip to the end of this block by
			// reading the sizes and digests as the format lays them out.
			if id == szSize {
				for _, n := range streams {
					for j := uint64(1); j < n; j++ {
						if _, err := s.number(); err != nil {
							return nil, err
						}
					}
				}
				if id, err = s.byte(); err != nil {
					return nil, err
				}
			}
			for id != szEnd {
				if id != szCRC {
					return nil, errSevenZipBad
				}
				// Digests of the streams whose CRC the folder does not
				// give: at most total (or the folder count).
				if err := s.digests(max(total, nf)); err != nil {
					return nil, err
				}
				if id, err = s.byte(); err != nil {
					return nil, err
				}
			}
		default:
			return nil, errSevenZipBad
		}
	}
}

func (s *szReader) folder(f *szFolderInfo) error {
	nc, err := s.count(sevenZipMaxCoders)
	if err != nil {
		return err
	}
	var inTotal uint64
	for i := uint64(0); i < nc; i++ {
		flag, err := s.byte()
		if err != nil {
			return err
		}
		if flag&0x80 != 0 {
			return errSevenZipBad
		}
		id := make([]byte, flag&0x0F)
		if _, err := io.ReadFull(s.r, id); err != nil {
			return errSevenZipBad
		}
		in, out := uint64(1), uint64(1)
		if flag&0x10 != 0 {
			if in, err = s.count(sevenZipMaxCoders); err != nil {
				return err
			}
			if out, err = s.count(sevenZipMaxCoders); err != nil {
				return err
			}
		}
		inTotal += in
		f.outTotal += out
		var props []byte
		if flag&0x20 != 0 {
			n, err := s.count(1 << 16)
			if err != nil {
				return err
			}
			props = make([]byte, n)
			if _, err := io.ReadFull(s.r, props); err != nil {
				return errSevenZipBad
			}
		}
		f.coders = append(f.coders, id)
		f.props = append(f.props, props)
	}
	if f.outTotal == 0 || f.outTotal > sevenZipMaxCoders || inTotal > sevenZipMaxCoders {
		return errSevenZipBad
	}
	for i := uint64(0); i < f.outTotal-1; i++ {
		if _, err := s.number(); err != nil {
			return err
		}
		if _, err := s.number(); err != nil {
			return err
		}
	}
	if inTotal < f.outTotal-1 {
		return errSevenZipBad
	}
	if packed := inTotal - (f.outTotal - 1); packed > 1 {
		for i := uint64(0); i < packed; i++ {
			if _, err := s.number(); err != nil {
				return err
			}
		}
	}
	return nil
}

// header checks a plain header (after its kHeader byte).
func (s *szReader) header() error {
	for {
		id, err := s.byte()
		if err != nil {
			return err
		}
		switch id {
		case szEnd:
			return nil
		case szArchiveProps:
			for {
				t, err := s.byte()
				if err != nil {
					return err
				}
				if t == 0 {
					break
				}
				n, err := s.number()
				if err != nil {
					return err
				}
				if err := s.skip(n); err != nil {
					return err
				}
			}
		case szAdditionalStream, szMainStreams:
			si, err := s.streamsInfo()
			if err != nil {
				return err
			}
			for _, f := range si.folders {
				for _, c := range f.coders {
					if bytes.Equal(c, aesCoder) {
						return errSevenZipEncrypted
					}
				}
			}
		case szFilesInfo:
			_, err := s.count(s.limit)
			return err
		default:
			return errSevenZipBad
		}
	}
}

// checkSevenZipHeader pre-checks the header of the 7z archive in r.
func checkSevenZipHeader(r io.ReaderAt, size int64, limit int) error {
	var sh [32]byte
	if _, err := r.ReadAt(sh[:], 0); err != nil || !bytes.Equal(sh[:6], []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}) {
		return errSevenZipBad
	}
	off := binary.LittleEndian.Uint64(sh[12:])
	n := binary.LittleEndian.Uint64(sh[20:])
	if off > uint64(size) || n > uint64(size)-32 || 32+off > uint64(size)-n {
		return errSevenZipBad
	}
	if n > sevenZipMaxHeader {
		return fmt.Errorf("%w: header of %d bytes", errSevenZipCount, n)
	}
	hdr := io.NewSectionReader(r, int64(32+off), int64(n))
	return checkSevenZipBlock(r, size, hdr, uint64(max(limit, 1)), 0)
}

func checkSevenZipBlock(r io.ReaderAt, size int64, hdr io.Reader, limit uint64, depth int) error {
	s := &szReader{r: bufio.NewReader(hdr), limit: limit}
	id, err := s.byte()
	if err != nil {
		return err
	}
	switch id {
	case szHeader:
		return s.header()
	case szEncodedHeader:
		if depth > 0 {
			return errSevenZipBad
		}
	default:
		return errSevenZipBad
	}
	si, err := s.streamsInfo()
	if err != nil {
		return err
	}
	if len(si.folders) != 1 || len(si.packSizes) < 1 {
		return errSevenZipBad
	}
	f := si.folders[0]
	for _, c := range f.coders {
		if bytes.Equal(c, aesCoder) {
			return errSevenZipEncrypted
		}
	}
	if len(f.coders) != 1 || len(f.unpack) != 1 {
		return fmt.Errorf("%w: header coder chain", errSevenZipBad)
	}
	usize := f.unpack[0]
	if usize > sevenZipMaxHeader {
		return fmt.Errorf("%w: header of %d bytes", errSevenZipCount, usize)
	}
	start := 32 + si.packPos
	if si.packPos > uint64(size) || si.packSizes[0] > uint64(size) || start > uint64(size)-si.packSizes[0] {
		return errSevenZipBad
	}
	packed := io.NewSectionReader(r, int64(start), int64(si.packSizes[0]))
	var dec io.Reader
	id0, props := f.coders[0], f.props[0]
	switch {
	case bytes.Equal(id0, []byte{0x03, 0x01, 0x01}) && len(props) == 5: // LZMA
		var h [13]byte
		copy(h[:5], props)
		binary.LittleEndian.PutUint64(h[5:], usize)
		lr, err := lzma.NewReader(io.MultiReader(bytes.NewReader(h[:]), packed))
		if err != nil {
			return errSevenZipBad
		}
		dec = lr
	case bytes.Equal(id0, []byte{0x21}) && len(props) == 1: // LZMA2
		if props[0] > 40 {
			return errSevenZipBad
		}
		dict := uint32(2|props[0]&1) << (props[0]/2 + 11)
		if props[0] == 40 {
			dict = 0xFFFFFFFF
		}
		cfg := lzma.Reader2Config{DictCap: int(min(dict, sevenZipMaxHeader))}
		lr, err := cfg.NewReader2(packed)
		if err != nil {
			return errSevenZipBad
		}
		dec = lr
	case bytes.Equal(id0, []byte{0x00}): // copy
		dec = packed
	default:
		return fmt.Errorf("%w: header coder %x", errSevenZipBad, id0)
	}
	return checkSevenZipBlock(r, size, io.LimitReader(dec, int64(usize)), limit, depth+1)
}

// sevenZipHeaderErr maps a pre-check error to a finding or an error.
func (w *walker) sevenZipHeaderErr(err error) error {
	switch {
	case errors.Is(err, errSevenZipEncrypted):
		w.find(block(RuleEncrypted, "", "encrypted 7z header (file names are encrypted too)"))
		return fmt.Errorf("archive: 7z: %w", sanitize.ErrEncrypted)
	case errors.Is(err, errSevenZipCount):
		w.find(block(sanitize.RuleLimitParts, "", err.Error()))
		return nil
	}
	return fmt.Errorf("archive: 7z: %v: %w", err, sanitize.ErrMalformed)
}

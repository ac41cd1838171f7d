package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// MaxIDXBytes bounds the payload an IDX header may claim. A header is only
// four bytes per dimension, so without a bound a corrupt or hostile file could
// make the reader allocate gigabytes; 2 GiB is about four times the largest
// standard IDX data set (EMNIST ByClass, 0.55 GB of training images). On
// 32-bit platforms the bound is math.MaxInt.
const MaxIDXBytes = 1 << 31

// maxIDXDims bounds the number of dimensions. The format allows 255, but no
// real data set uses more than a handful and each one is a factor that must be
// validated; 16 leaves room for anything plausible.
const maxIDXDims = 16

// firstChunk is the largest buffer allocated before any payload byte has been
// seen. The buffer then doubles as data actually arrives, so a header that
// lies about its size costs at most this much memory, not what it claims.
const firstChunk = 1 << 20

// FileError is the error returned for a data file that cannot be used: it
// names the file and says why, on one line. Err is the underlying error when
// there is one (for example fs.ErrNotExist or a gzip error), for errors.Is.
type FileError struct {
	Path   string // the file (or the name given to ReadIDX)
	Reason string // what is wrong with it, without the path
	Err    error  // the cause, if any; already included in Reason
}

func (e *FileError) Error() string { return e.Path + ": " + e.Reason }

// Unwrap returns the underlying cause.
func (e *FileError) Unwrap() error { return e.Err }

func fileErrorf(path string, cause error, format string, args ...any) error {
	return &FileError{Path: path, Reason: fmt.Sprintf(format, args...), Err: cause}
}

// idxTypeNames names the element types of the IDX format, so that a file of
// another type is rejected with a message that says what it is.
var idxTypeNames = map[byte]string{
	0x08: "unsigned byte",
	0x09: "signed byte",
	0x0B: "int16",
	0x0C: "int32",
	0x0D: "float32",
	0x0E: "float64",
}

// gzipMagic starts every gzip stream (RFC 1952). Compression is detected from
// the content, not the file name, so a renamed file still reads.
var gzipMagic = [2]byte{0x1f, 0x8b}

// ReadIDX reads one IDX file of unsigned bytes from r and returns its
// dimensions and its payload (len(data) is the product of dims). The stream
// may be gzip-compressed; that is detected by its magic bytes. name is used
// only in error messages.
//
// Every failure is a *FileError naming the file: a magic number that is not
// IDX, an element type other than unsigned byte, a zero dimension, a header
// claiming more than MaxIDXBytes, fewer payload bytes than the header
// promises, bytes after the payload, or a corrupt gzip stream.
func ReadIDX(r io.Reader, name string) (dims []int, data []byte, err error) {
	return readIDX(r, name, sizeInfo{size: -1, gzipSize: -1})
}

// ReadIDXFile reads the IDX file at path (raw or gzip-compressed); see
// ReadIDX.
func ReadIDXFile(path string) (dims []int, data []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, openError(path, err)
	}
	defer f.Close()
	info := sizeInfo{size: -1, gzipSize: -1}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		info.size = st.Size()
		// The last four bytes of a gzip file hold the uncompressed size
		// modulo 2^32 (RFC 1952 ISIZE); a hint, checked below.
		// 18 bytes is the smallest gzip file (header and trailer).
		var tail [4]byte
		if info.size >= 18 {
			if _, err := f.ReadAt(tail[:], info.size-4); err == nil {
				info.gzipSize = int64(binary.LittleEndian.Uint32(tail[:]))
			}
		}
	}
	return readIDX(f, path, info)
}

// sizeInfo is what is known about the file behind a reader: its size and,
// if it is gzip, the uncompressed size its trailer states; -1 when unknown.
type sizeInfo struct {
	size, gzipSize int64
}

// maxDeflateRatio is the largest expansion deflate can achieve (a 258-byte
// match costs at least two bits), so a gzip file of S bytes cannot hold more
// than maxDeflateRatio*S bytes: the bound that makes a stated size safe to
// allocate up front.
const maxDeflateRatio = 1032

// openError turns an os error into a FileError whose reason does not repeat
// the path (os.PathError would print it twice).
func openError(path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fileErrorf(path, err, "cannot open: %v", pe.Err)
	}
	return fileErrorf(path, err, "cannot open: %v", err)
}

// readIDX is ReadIDX knowing what info says about the file. A raw file that
// is too short is rejected before any payload is read; a raw file that is
// long enough, or a gzip file whose trailer agrees with the header and whose
// size could hold that much, gets its buffer in one piece rather than by
// doubling, which saves copying and memory on large files.
func readIDX(r io.Reader, name string, info sizeInfo) ([]int, []byte, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var src io.Reader = br
	compressed := false
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == gzipMagic[0] && magic[1] == gzipMagic[1] {
		zs, err := newGzipStream(br)
		if err != nil {
			return nil, nil, corruptGzip(name, err)
		}
		src = zs
		compressed = true
	}

	dims, want, err := readIDXHeader(src, name)
	if err != nil {
		return nil, nil, err
	}
	hdrLen := int64(4 + 4*len(dims))
	trusted := false
	switch {
	case !compressed && info.size >= 0:
		if have := info.size - hdrLen; have < want {
			return nil, nil, fileErrorf(name, nil, "truncated: expected %d data bytes, got %d", want, max(have, 0))
		}
		trusted = true
	case compressed && info.gzipSize >= 0:
		trusted = uint32(hdrLen+want) == uint32(info.gzipSize) && want <= maxDeflateRatio*info.size
	}
	data, err := readPayload(src, int(want), trusted)
	if err != nil {
		return nil, nil, payloadError(name, err, want, int64(len(data)))
	}

	// The payload must end the file: extra bytes mean the header and the
	// file disagree, and reading on to EOF is also what makes gzip verify
	// its checksum.
	var one [1]byte
	n, err := io.ReadFull(src, one[:])
	if n > 0 {
		return nil, nil, fileErrorf(name, nil, "trailing garbage: the file goes on after the %d data bytes its header describes", want)
	}
	if err != io.EOF {
		return nil, nil, payloadError(name, err, want, want)
	}
	return dims, data, nil
}

// readIDXHeader reads and validates the magic number and the dimensions, and
// returns the payload size they imply.
func readIDXHeader(src io.Reader, name string) ([]int, int64, error) {
	var magic [4]byte
	if n, err := io.ReadFull(src, magic[:]); err != nil {
		return nil, 0, headerError(name, err, 4, n)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, 0, fileErrorf(name, nil, "not an IDX file: magic number %#08x does not start with two zero bytes", binary.BigEndian.Uint32(magic[:]))
	}
	if magic[2] != 0x08 {
		typ, ok := idxTypeNames[magic[2]]
		if !ok {
			typ = "unknown"
		}
		return nil, 0, fileErrorf(name, nil, "unsupported IDX element type %#02x (%s); only unsigned byte (0x08) is supported", magic[2], typ)
	}
	ndim := int(magic[3])
	if ndim == 0 || ndim > maxIDXDims {
		return nil, 0, fileErrorf(name, nil, "bad IDX header: %d dimensions (want 1 to %d)", ndim, maxIDXDims)
	}
	raw := make([]byte, 4*ndim)
	if n, err := io.ReadFull(src, raw); err != nil {
		return nil, 0, headerError(name, err, 4+len(raw), 4+n)
	}
	dims := make([]int, ndim)
	want := int64(1)
	for i := range dims {
		d := int64(binary.BigEndian.Uint32(raw[4*i:]))
		if d == 0 {
			return nil, 0, fileErrorf(name, nil, "bad IDX header: dimension %d is zero", i)
		}
		// d < 2^32 and want <= MaxIDXBytes = 2^31, so the product fits an
		// int64 and the check below sees it before it can grow further.
		want *= d
		if want > MaxIDXBytes || want > math.MaxInt {
			return nil, 0, fileErrorf(name, nil, "bad IDX header: dimensions %v claim more than %d bytes", dimsSoFar(raw, i), int64(MaxIDXBytes))
		}
		dims[i] = int(d)
	}
	return dims, want, nil
}

// dimsSoFar decodes the first i+1 dimensions for an error message.
func dimsSoFar(raw []byte, i int) []uint32 {
	out := make([]uint32, i+1)
	for j := range out {
		out[j] = binary.BigEndian.Uint32(raw[4*j:])
	}
	return out
}

// readPayload reads exactly want bytes. When the size is trusted the buffer
// is allocated once; otherwise it starts at firstChunk and doubles only as
// bytes arrive, so memory follows the data actually present, not the
// header's claim. On a short read it returns what it got with
// io.ErrUnexpectedEOF.
func readPayload(src io.Reader, want int, trusted bool) ([]byte, error) {
	size := min(want, firstChunk)
	if trusted {
		size = want
	}
	buf := make([]byte, size)
	got := 0
	for {
		n, err := io.ReadFull(src, buf[got:])
		got += n
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return buf[:got], err
		}
		if got == want {
			return buf, nil
		}
		grown := make([]byte, min(want, 2*len(buf)))
		copy(grown, buf)
		buf = grown
	}
}

// gzipStream decompresses one or more concatenated gzip members (as gzip
// itself allows) and marks every decompressor error, so that a corrupt or
// cut-off stream is reported as such and not as an IDX file whose payload is
// short. It handles the members itself, rather than through the gzip
// package's multistream mode, so that bytes after the last member that are
// not another member are reported as trailing garbage.
type gzipStream struct {
	br *bufio.Reader
	zr *gzip.Reader
}

type gzipError struct{ err error }

func (e gzipError) Error() string { return e.err.Error() }
func (e gzipError) Unwrap() error { return e.err }

// errGzipTrailing is returned for bytes after the last gzip member.
var errGzipTrailing = errors.New("trailing garbage after the gzip stream")

func newGzipStream(br *bufio.Reader) (*gzipStream, error) {
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, err
	}
	zr.Multistream(false)
	return &gzipStream{br: br, zr: zr}, nil
}

func (g *gzipStream) Read(p []byte) (int, error) {
	for {
		n, err := g.zr.Read(p)
		if err == nil || (err == io.EOF && n > 0) {
			return n, nil
		}
		if err != io.EOF {
			return n, gzipError{err}
		}
		// The member ended and its checksum matched. What follows is
		// nothing, another member, or garbage.
		next, perr := g.br.Peek(2)
		switch {
		case len(next) == 0 && perr == io.EOF:
			return 0, io.EOF
		case len(next) == 0:
			return 0, perr
		case len(next) == 2 && next[0] == gzipMagic[0] && next[1] == gzipMagic[1]:
			if err := g.zr.Reset(g.br); err != nil {
				return 0, gzipError{err}
			}
			g.zr.Multistream(false)
		default:
			return 0, errGzipTrailing
		}
	}
}

func headerError(name string, err error, want, got int) error {
	if err == errGzipTrailing {
		return fileErrorf(name, err, "%v", err)
	}
	var ge gzipError
	if errors.As(err, &ge) {
		return corruptGzip(name, ge.err)
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fileErrorf(name, err, "truncated header: expected %d bytes, got %d", want, got)
	}
	return fileErrorf(name, err, "read error: %v", err)
}

func payloadError(name string, err error, want, got int64) error {
	if err == errGzipTrailing {
		return fileErrorf(name, err, "%v", err)
	}
	var ge gzipError
	if errors.As(err, &ge) {
		return corruptGzip(name, ge.err)
	}
	if err == io.ErrUnexpectedEOF {
		return fileErrorf(name, err, "truncated: expected %d data bytes, got %d", want, got)
	}
	return fileErrorf(name, err, "read error: %v", err)
}

func corruptGzip(name string, err error) error {
	if err == io.ErrUnexpectedEOF {
		return fileErrorf(name, err, "corrupt gzip: stream ends early (file cut off?)")
	}
	return fileErrorf(name, err, "corrupt gzip: %s", strings.TrimPrefix(err.Error(), "gzip: "))
}

// EncodeIDX writes dims and data as a raw IDX file of unsigned bytes. It is
// the inverse of ReadIDX, for writing test fixtures and derived data sets.
func EncodeIDX(w io.Writer, dims []int, data []byte) error {
	if len(dims) == 0 || len(dims) > maxIDXDims {
		return fmt.Errorf("data: EncodeIDX: %d dimensions (want 1 to %d)", len(dims), maxIDXDims)
	}
	n := int64(1)
	for _, d := range dims {
		if d <= 0 || int64(d) > math.MaxUint32 {
			return fmt.Errorf("data: EncodeIDX: dimension %d out of range", d)
		}
		if n *= int64(d); n > MaxIDXBytes {
			return fmt.Errorf("data: EncodeIDX: dimensions %v exceed %d bytes", dims, int64(MaxIDXBytes))
		}
	}
	if n != int64(len(data)) {
		return fmt.Errorf("data: EncodeIDX: dimensions %v need %d bytes, have %d", dims, n, len(data))
	}
	hdr := make([]byte, 4+4*len(dims))
	hdr[2], hdr[3] = 0x08, byte(len(dims))
	for i, d := range dims {
		binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(d))
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

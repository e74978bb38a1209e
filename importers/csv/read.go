package csv

import (
	"bufio"
	"bytes"
	"context"
	ecsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
	"github.com/coopmap/coopmap/postcodes"
)

// sniffSize is how much of the input decides encoding and delimiter.
const sniffSize = 64 << 10

// textMode says how field bytes become text.
type textMode int

const (
	utf8Strict  textMode = iota // invalid UTF-8 makes the row a problem
	utf8Lenient                 // invalid UTF-8 is decoded as Windows-1252
	cp1252                      // every field is Windows-1252
)

// parse reads one CSV stream; see the package documentation.
func parse(ctx context.Context, r io.Reader, name string, e importers.Emitter, o Options, pcs *postcodes.Table) error {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return err
	}
	var text io.Reader = br
	mode := utf8Strict
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		br.Discard(3)
		if o.Encoding == EncodingWindows1252 {
			mode = cp1252
		}
	case bytes.HasPrefix(head, []byte("\xff\xfe")) || bytes.HasPrefix(head, []byte("\xfe\xff")):
		if o.Encoding != EncodingAuto && o.Encoding != EncodingUTF16 {
			return coopmap.Invalidf("encoding", "%s starts with a UTF-16 byte-order mark, but the encoding was given as %s", name, o.Encoding)
		}
		text = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	default:
		switch o.Encoding {
		case EncodingUTF16:
			return coopmap.Invalidf("encoding", "%s has no UTF-16 byte-order mark; save it as UTF-16 with one, or as UTF-8", name)
		case EncodingWindows1252:
			mode = cp1252
		case EncodingAuto:
			if validUTF8Prefix(head) {
				mode = utf8Lenient
			} else {
				mode = cp1252
				importers.Note(e, name, "not UTF-8: read as Windows-1252 (give the encoding to be sure)")
			}
		}
	}
	if text != io.Reader(br) {
		br = bufio.NewReaderSize(text, sniffSize)
		if head, err = br.Peek(sniffSize); err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return fmt.Errorf("utf-16: %w", err)
		}
	}
	delim := o.Delimiter
	if delim == 0 {
		delim = sniffDelimiter(head)
	}

	lim := &recordLimiter{r: br}
	cr := ecsv.NewReader(lim)
	cr.Comma = delim
	cr.LazyQuotes = false
	cr.ReuseRecord = true
	p := &rowParser{name: name, e: e, opts: o, pcs: pcs, mode: mode, decimalComma: delim != ','}

	for n := 0; ; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		lim.start = cr.InputOffset()
		var pe *ecsv.ParseError
		switch {
		case err == nil:
		case lim.err != nil:
			return coopmap.Errorf(coopmap.CodeTooLarge, "%s: a record starting after line %d is longer than %d MiB (an unbalanced quote?); nothing after it can be read reliably", name, p.lastLine, MaxRecordSize>>20)
		case errors.As(err, &pe) && errors.Is(err, ecsv.ErrFieldCount) && p.header != nil:
			if !blank(rec) {
				e.Problem(p.where(pe.StartLine), fmt.Sprintf("has %d fields; the header has %d", len(rec), len(p.header)))
			}
			p.lastLine = pe.Line
			continue
		case errors.As(err, &pe) && p.header != nil:
			e.Problem(p.where(pe.StartLine), csvReason(pe))
			p.lastLine = pe.Line
			continue
		case errors.As(err, &pe):
			return coopmap.Errorf(coopmap.CodeInvalid, "%s: header: %s", p.where(pe.StartLine), csvReason(pe))
		default:
			return err
		}
		line, _ := cr.FieldPos(0) // rec has at least one field
		if len(rec) > MaxFields {
			return &coopmap.Error{Code: coopmap.CodeTooLarge, Message: fmt.Sprintf("%s: %d fields; the limit is %d", p.where(line), len(rec), MaxFields)}
		}
		p.lastLine = line
		if p.header == nil {
			if err := p.setHeader(rec); err != nil {
				return err
			}
			continue
		}
		if blank(rec) {
			continue
		}
		if err := p.row(line, rec); err != nil {
			return err
		}
	}
	if p.header == nil {
		return coopmap.Invalidf("", "%s is empty: a CSV needs a header line and at least one row", name)
	}
	return nil
}

// csvReason words an encoding/csv parse error for a problem report.
func csvReason(pe *ecsv.ParseError) string {
	switch {
	case errors.Is(pe.Err, ecsv.ErrBareQuote):
		return fmt.Sprintf("a quote (\") inside an unquoted field, column %d; quote the whole field and double the quote", pe.Column)
	case errors.Is(pe.Err, ecsv.ErrQuote):
		return fmt.Sprintf("a quoted field is not closed properly (column %d, line %d)", pe.Column, pe.Line)
	}
	return pe.Err.Error()
}

// blank reports whether every field is empty or white space.
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// validUTF8Prefix reports whether b is valid UTF-8, allowing a rune cut
// off at the end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		if len(b) == sniffSize {
			b = b[:len(b)-1]
		} else {
			return false
		}
	}
	return utf8.Valid(b)
}

// sniffDelimiter picks the most frequent of comma, semicolon, tab and
// vertical bar outside quotes in the first line; comma when none occurs.
func sniffDelimiter(head []byte) rune {
	counts := map[byte]int{}
	quoted := false
	for _, c := range head {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' {
			break
		}
		switch c {
		case ',', ';', '\t', '|':
			counts[c]++
		}
	}
	best, n := byte(','), 0
	for _, c := range []byte{',', ';', '\t', '|'} {
		if counts[c] > n {
			best, n = c, counts[c]
		}
	}
	return rune(best)
}

// recordLimiter makes encoding/csv fail instead of buffering a record
// without end: the parser sets start to the offset of the current record,
// and reads fail once the record has grown past MaxRecordSize.
type recordLimiter struct {
	r             io.Reader
	handed, start int64
	err           error
}

// slack covers what encoding/csv's own buffer holds beyond the record.
const slack = 8 << 10

func (l *recordLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if l.handed-l.start > MaxRecordSize+slack {
		l.err = errors.New("record too large")
		return 0, l.err
	}
	if len(p) > slack/2 {
		p = p[:slack/2]
	}
	n, err := l.r.Read(p)
	l.handed += int64(n)
	return n, err
}

// decode turns field bytes into text according to the mode; ok is false
// when the field is not valid UTF-8 in strict mode.
func (p *rowParser) decode(s string, line int) (string, bool) {
	if isASCII(s) {
		return s, true
	}
	switch p.mode {
	case cp1252:
		return decode1252(s), true
	case utf8Lenient:
		if utf8.ValidString(s) {
			return s, true
		}
		if !p.noted1252 {
			p.noted1252 = true
			importers.Note(p.e, p.where(line), "text that is not UTF-8 was read as Windows-1252 (here and in any later row)")
		}
		return decode1252(s), true
	default:
		return s, utf8.ValidString(s)
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func decode1252(s string) string {
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\ufffd")
	}
	return out
}

// Package xmlsafe reads untrusted XML (GPX, KML, OSM) with limits on
// depth and token size, refuses DOCTYPEs that declare entities, decodes
// the legacy encodings GPS and GIS exports use, and turns decoder errors
// into coopmap errors with line numbers.
package xmlsafe

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/coopmap/coopmap"
)

// Limits on the XML itself, so that a hostile file cannot exhaust memory
// or stack. Breaking one makes Parse fail with coopmap.CodeTooLarge.
const (
	// MaxDepth bounds how deeply elements nest.
	MaxDepth = 256
	// MaxTokenSize bounds one XML token (a tag with its attributes, a run
	// of text, a comment, a DOCTYPE), in bytes. encoding/xml holds a
	// token whole while it reads it, in a buffer that grows by doubling,
	// so one token at the limit costs a few times the limit in memory:
	// about 30 MiB of RSS at 8 MiB. That is still room for a polygon's
	// <coordinates> of some 300,000 vertices.
	MaxTokenSize = 8 << 20
	// MaxRecordText bounds the text kept for one record, summed over its
	// tokens (a placemark's name, description, data and coordinates), in
	// bytes. Kept text costs its size once.
	MaxRecordText = 32 << 20
)

var errLimit = errors.New("XML token over the size limit")

// Decoder wraps encoding/xml with the limits above, refuses DOCTYPEs
// that define entities, reads ISO-8859-1, Windows-1252, ISO-8859-15 and
// UTF-16 besides UTF-8, and turns decoder errors into coopmap errors.
// encoding/xml never expands entities other than the five predefined
// ones and never fetches anything, so the DOCTYPE check is belt and
// braces, and makes the error clear.
type Decoder struct {
	d     *xml.Decoder
	lim   *limitReader
	depth int
	// kept counts the text kept for the current record; see Keep.
	kept int
	// stack holds the local names of the open elements, for messages.
	stack []string
	// started is set once the root element has begun.
	started bool
}

// NewDecoder returns a Decoder reading r, skipping a UTF-8 byte order mark
// and converting UTF-16 with a byte order mark to UTF-8.
func NewDecoder(r io.Reader) *Decoder {
	br := bufio.NewReader(r)
	var in io.Reader = br
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3) // encoding/xml does not skip a UTF-8 byte order mark
	} else if b, err := br.Peek(2); err == nil && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
		in = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder().Reader(br)
	}
	lim := &limitReader{r: in, max: MaxTokenSize}
	d := xml.NewDecoder(lim)
	d.Strict = true
	d.CharsetReader = charsetReader
	return &Decoder{d: d, lim: lim}
}

// charsetReader decodes the legacy encodings real GPS and GIS exports
// use. ISO-8859-1 is read as Windows-1252, its superset for printable
// characters, as browsers do: files labelled Latin-1 often hold € and
// curly quotes.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819", "ibm819", "iso-ir-100",
		"windows-1252", "cp1252", "x-cp1252":
		return charmap.Windows1252.NewDecoder().Reader(in), nil
	case "iso-8859-15", "iso8859-15", "iso_8859-15", "latin9", "latin-9", "l9":
		return charmap.ISO8859_15.NewDecoder().Reader(in), nil
	case "us-ascii", "ascii", "utf-16", "utf-16le", "utf-16be", "utf8":
		// ASCII is UTF-8; UTF-16 was converted before the decoder saw it.
		return in, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q (UTF-8, UTF-16, ISO-8859-1, ISO-8859-15 and Windows-1252 are read)", label)
}

// Next returns the next token, enforcing the limits. Its CharData is only
// valid until the following call.
func (x *Decoder) Next() (xml.Token, error) {
	x.lim.n = 0
	t, err := x.d.Token()
	if err != nil {
		return nil, x.wrap(err)
	}
	switch t := t.(type) {
	case xml.StartElement:
		x.depth++
		if x.depth > MaxDepth {
			return nil, coopmap.Errorf(coopmap.CodeTooLarge, "elements nest deeper than %d levels at line %d", MaxDepth, x.Line())
		}
		x.stack = append(x.stack, t.Name.Local)
		x.started = true
	case xml.EndElement:
		x.depth--
		if len(x.stack) > 0 {
			x.stack = x.stack[:len(x.stack)-1]
		}
	case xml.Directive:
		s := strings.ToUpper(string(t))
		if strings.HasPrefix(strings.TrimSpace(s), "DOCTYPE") && (strings.Contains(s, "ENTITY") || strings.Contains(s, "[")) {
			return nil, coopmap.Errorf(coopmap.CodeInvalid, "the file has a DOCTYPE declaring entities (line %d); DOCTYPEs with entities are refused, never expanded", x.Line())
		}
	}
	return t, nil
}

// wrap turns a decoder error into a coopmap error, or wraps an I/O error.
func (x *Decoder) wrap(err error) error {
	var se *xml.SyntaxError
	switch {
	case errors.Is(err, errLimit):
		return coopmap.Errorf(coopmap.CodeTooLarge, "an XML token near line %d is larger than the limit of %d bytes", x.Line(), MaxTokenSize)
	case x.lim.err != nil && errors.Is(err, x.lim.err):
		if coopmap.ErrorCode(err) != "" {
			return err // already says what is wrong, as a broken compressed stream does
		}
		return fmt.Errorf("reading XML: %w", err)
	case err == io.EOF:
		if !x.started {
			return coopmap.Errorf(coopmap.CodeInvalid, "not XML: no root element")
		}
		if len(x.stack) > 0 {
			return coopmap.Errorf(coopmap.CodeInvalid, "truncated: the XML ends inside <%s>", x.stack[len(x.stack)-1])
		}
		return coopmap.Errorf(coopmap.CodeInvalid, "truncated: the XML ends before its root element closes")
	case errors.As(err, &se):
		if se.Msg == "unexpected EOF" {
			return coopmap.Errorf(coopmap.CodeInvalid, "truncated: the XML ends early at line %d", se.Line)
		}
		return coopmap.Errorf(coopmap.CodeInvalid, "malformed XML at line %d: %s", se.Line, se.Msg)
	}
	return coopmap.Errorf(coopmap.CodeInvalid, "malformed XML at line %d: %s", x.Line(), strings.TrimPrefix(err.Error(), "xml: "))
}

// Line is the input line the decoder has reached.
func (x *Decoder) Line() int {
	l, _ := x.d.InputPos()
	return l
}

// Root reads up to the root element and returns it.
func (x *Decoder) Root() (xml.StartElement, error) {
	for {
		t, err := x.Next()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return xml.StartElement{}, coopmap.Errorf(coopmap.CodeInvalid, "not XML: text before the root element")
			}
		}
	}
}

// Skip consumes the rest of the element whose start was just read.
func (x *Decoder) Skip() error {
	for d := 1; d > 0; {
		t, err := x.Next()
		if err != nil {
			return err
		}
		switch t.(type) {
		case xml.StartElement:
			d++
		case xml.EndElement:
			d--
		}
	}
	return nil
}

// Text returns the text of the element whose start was just read, child
// elements' text included and tags dropped, trimmed of surrounding space.
// It counts against the record's budget; see Keep.
func (x *Decoder) Text() (string, error) {
	var b strings.Builder
	for d := 1; d > 0; {
		t, err := x.Next()
		if err != nil {
			return "", err
		}
		switch t := t.(type) {
		case xml.StartElement:
			d++
		case xml.EndElement:
			d--
		case xml.CharData:
			if err := x.Keep(len(t)); err != nil {
				return "", err
			}
			b.Write(t)
		}
	}
	return strings.TrimSpace(b.String()), nil
}

// Keep counts n bytes of text kept for the current record against
// MaxRecordText, so many small tokens cannot add up to an unbounded record.
func (x *Decoder) Keep(n int) error {
	x.kept += n
	if x.kept > MaxRecordText {
		return coopmap.Errorf(coopmap.CodeTooLarge, "the record ending near line %d holds more than %d bytes of text", x.Line(), MaxRecordText)
	}
	return nil
}

// Attr returns the value of the attribute with the local name, and
// whether it is there.
func Attr(se xml.StartElement, local string) (string, bool) {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// limitReader fails a read once more than max bytes have been read since
// n was last zeroed; the decoder reads ahead by one buffer, so this
// bounds one token to about max. It remembers an error from r, so that
// I/O errors can be told from XML ones.
type limitReader struct {
	r      io.Reader
	n, max int
	err    error
}

func (l *limitReader) Read(b []byte) (int, error) {
	if l.n >= l.max {
		return 0, errLimit
	}
	if rest := l.max - l.n; len(b) > rest {
		b = b[:rest]
	}
	n, err := l.r.Read(b)
	l.n += n
	if err != nil && err != io.EOF {
		l.err = err
	}
	return n, err
}

// StartRecord begins a new record: the text budget Keep counts against
// starts again from zero.
func (x *Decoder) StartRecord() { x.kept = 0 }

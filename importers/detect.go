package importers

import (
	"bytes"
	"path"
	"strings"
)

// The format names Detect returns and Options.Format and Formats use.
const (
	FormatCSV     = "csv"
	FormatGeoJSON = "geojson"
	FormatKML     = "kml"
	FormatKMZ     = "kmz"
	FormatGPX     = "gpx"
	FormatOSM     = "osm"
)

// FormatNames lists the format names in the order usage texts show them.
func FormatNames() []string {
	return []string{FormatCSV, FormatGeoJSON, FormatKML, FormatKMZ, FormatGPX, FormatOSM}
}

// SniffSize is how many leading bytes of an input Detect looks at.
const SniffSize = 4096

// compression is a stream wrapper the importer removes before detecting
// the format inside.
type compression int

const (
	compNone compression = iota
	compGzip
	compBzip2
)

// sniffCompression recognises gzip and bzip2 by their magic numbers.
func sniffCompression(head []byte) compression {
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return compGzip
	case len(head) >= 10 && string(head[:3]) == "BZh" && '1' <= head[3] && head[3] <= '9' &&
		string(head[4:10]) == "1AY&SY":
		return compBzip2
	}
	return compNone
}

// extFormat maps file name extensions to the format they suggest.
var extFormat = map[string]string{
	".csv": FormatCSV, ".tsv": FormatCSV, ".tab": FormatCSV, ".txt": FormatCSV,
	".geojson": FormatGeoJSON, ".json": FormatGeoJSON,
	".kml": FormatKML, ".kmz": FormatKMZ, ".gpx": FormatGPX, ".osm": FormatOSM, ".pbf": FormatOSM,
}

// formatFromName returns the format a file name's extension suggests,
// looking through .gz and .bz2, or "".
func formatFromName(name string) string {
	n := strings.ToLower(path.Base(strings.ReplaceAll(name, `\`, "/")))
	for _, z := range []string{".gz", ".bz2"} {
		n = strings.TrimSuffix(n, z)
	}
	return extFormat[path.Ext(n)]
}

// Detect returns the format of an input from its first bytes (up to
// SniffSize, after any gzip or bzip2 wrapper is removed), using the file
// name's extension only where the content does not decide: a zip archive
// is KMZ; an OSM PBF header is OSM; JSON (an object or array) is GeoJSON;
// XML is GPX, KML or OSM by its root element; other text is CSV. It returns "" for binary data and
// for XML of another kind, naming neither a format coopmap reads.
func Detect(head []byte, name string) string {
	hint := formatFromName(name)
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return FormatKMZ
	}
	// OSM PBF: a 4-byte length, then a BlobHeader whose type is OSMHeader.
	if len(head) >= 15 && string(head[4:15]) == "\x0a\x09OSMHeader" {
		return FormatOSM
	}
	if len(head) >= 2 && (head[0] == 0xff && head[1] == 0xfe || head[0] == 0xfe && head[1] == 0xff) {
		// UTF-16 with a byte-order mark: XML (a GPX or KML some tools
		// write so), or else a spreadsheet's "Unicode text".
		if f := Detect(narrow(head), name); f == FormatGPX || f == FormatKML || f == FormatOSM {
			return f
		}
		return FormatCSV
	}
	s := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	s = bytes.TrimLeft(s, " \t\r\n")
	if len(s) == 0 {
		if hint != "" {
			return hint
		}
		return FormatCSV
	}
	switch s[0] {
	case '{', '[':
		return FormatGeoJSON
	case '<':
		switch root := xmlRoot(s); root {
		case "gpx":
			return FormatGPX
		case "kml":
			return FormatKML
		case "osm":
			return FormatOSM
		case "":
			// The root lies beyond the sniffed bytes (a long comment or
			// DOCTYPE): trust the name if it names an XML format.
			if hint == FormatGPX || hint == FormatKML || hint == FormatOSM {
				return hint
			}
			return ""
		default:
			return ""
		}
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return "" // binary
	}
	return FormatCSV
}

// narrow turns the start of UTF-16 text with a byte-order mark into
// bytes, keeping ASCII characters and writing others as '?', enough for
// Detect to see what kind of text it is.
func narrow(head []byte) []byte {
	lo := 0 // little-endian: the low byte comes first
	if head[0] == 0xfe {
		lo = 1
	}
	out := make([]byte, 0, len(head)/2)
	for i := 2; i+1 < len(head); i += 2 {
		c, hi := head[i+lo], head[i+1-lo]
		if hi != 0 || c >= 0x80 {
			c = '?'
		}
		out = append(out, c)
	}
	return out
}

// xmlRoot returns the local name of the root element of the XML document
// that s begins, lower-cased, skipping the declaration, processing
// instructions, comments and a DOCTYPE; "" when it is not within s.
func xmlRoot(s []byte) string {
	for {
		s = bytes.TrimLeft(s, " \t\r\n")
		switch {
		case bytes.HasPrefix(s, []byte("<?")):
			i := bytes.Index(s, []byte("?>"))
			if i < 0 {
				return ""
			}
			s = s[i+2:]
		case bytes.HasPrefix(s, []byte("<!--")):
			i := bytes.Index(s[4:], []byte("-->"))
			if i < 0 {
				return ""
			}
			s = s[4+i+3:]
		case bytes.HasPrefix(s, []byte("<!")):
			end := []byte(">")
			if j, k := bytes.IndexByte(s, '['), bytes.IndexByte(s, '>'); j >= 0 && (k < 0 || j < k) {
				end = []byte("]>")
			}
			i := bytes.Index(s, end)
			if i < 0 {
				return ""
			}
			s = s[i+len(end):]
		case bytes.HasPrefix(s, []byte("<")):
			s = s[1:]
			n := bytes.IndexAny(s, " \t\r\n/>")
			if n < 0 {
				return ""
			}
			name := string(s[:n])
			if i := strings.LastIndexByte(name, ':'); i >= 0 {
				name = name[i+1:]
			}
			return strings.ToLower(name)
		default:
			return ""
		}
	}
}

package export

import (
	"unicode/utf8"
)

// appendXML appends s escaped as XML 1.0 character data, or as an
// attribute value between double quotes when attr is set. The markup
// characters become entities (so "]]>" and "<script>" are inert text),
// CR becomes &#xD; so that XML's line-end normalisation keeps it, and in
// attributes tab and LF become references too. Characters XML 1.0 cannot
// carry at all (control characters other than tab, LF and CR, U+FFFE,
// U+FFFF) and bytes that are not UTF-8 become U+FFFD.
func appendXML(b []byte, s string, attr bool) []byte {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, "\uFFFD"...)
		case r == '&':
			b = append(b, "&amp;"...)
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r == '"' && attr:
			b = append(b, "&quot;"...)
		case r == '\r':
			b = append(b, "&#xD;"...)
		case r == '\n' && attr:
			b = append(b, "&#xA;"...)
		case r == '\t' && attr:
			b = append(b, "&#x9;"...)
		case !xmlChar(r):
			b = append(b, "\uFFFD"...)
		default:
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}

// xmlChar reports whether r may appear in an XML 1.0 document.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// appendElem appends <name>text</name>, or nothing when text is empty.
func appendElem(b []byte, name, text string) []byte {
	if text == "" {
		return b
	}
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = appendXML(b, text, false)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

package osm

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
	"github.com/coopmap/coopmap/importers/internal/xmlsafe"
)

// xml reads OSM XML: the node and way elements under <osm>.
func (p *parser) xml(r io.Reader) error {
	x := xmlsafe.NewDecoder(r)
	root, err := x.Root()
	if err != nil {
		return err
	}
	if root.Name.Local != "osm" {
		return coopmap.Errorf(coopmap.CodeInvalid, "not OSM: the root element is <%s>, want <osm>", clip(root.Name.Local))
	}
	for {
		t, err := x.Next()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return nil // </osm>
		case xml.StartElement:
			switch t.Name.Local {
			case "node", "way":
				err = p.xmlObject(x, t)
			default: // bounds, relation, changeset, …
				err = x.Skip()
			}
			if err != nil {
				return err
			}
		}
	}
}

// xmlObject reads a node or way whose start was just read.
func (p *parser) xmlObject(x *xmlsafe.Decoder, se xml.StartElement) error {
	if err := p.tick(); err != nil {
		return err
	}
	x.StartRecord()
	p.refs = p.refs[:0]
	var tags map[string]string
	bad := ""
	for done := false; !done; {
		t, err := x.Next()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			done = true
		case xml.StartElement:
			switch t.Name.Local {
			case "tag":
				k, _ := xmlsafe.Attr(t, "k")
				v, _ := xmlsafe.Attr(t, "v")
				if err := x.Keep(len(k) + len(v)); err != nil {
					return err
				}
				if k != "" {
					if tags == nil {
						tags = map[string]string{}
					}
					tags[k] = v
				}
			case "nd":
				s, _ := xmlsafe.Attr(t, "ref")
				ref, perr := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
				switch {
				case bad != "":
				case perr != nil:
					bad = fmt.Sprintf("nd ref %q is not a node id", clip(s))
				case len(p.refs) >= geo.MaxVertices:
					bad = fmt.Sprintf("the way has more than %d nodes", geo.MaxVertices)
				default:
					p.refs = append(p.refs, ref)
				}
			}
			if err := x.Skip(); err != nil {
				return err
			}
		}
	}
	if v, _ := xmlsafe.Attr(se, "visible"); v == "false" {
		return nil
	}
	if a, _ := xmlsafe.Attr(se, "action"); a == "delete" {
		return nil
	}
	s, _ := xmlsafe.Attr(se, "id")
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		if len(tags) > 0 {
			p.e.Problem(fmt.Sprintf("%s: %s near line %d", p.name, se.Name.Local, x.Line()), fmt.Sprintf("id %q is not a number", clip(s)))
		}
		return nil
	}
	if se.Name.Local == "way" {
		if bad != "" {
			if len(tags) > 0 && p.opts.Filter(Object{Type: "way", ID: id, Tags: tags}) {
				p.e.Problem(fmt.Sprintf("%s: way/%d", p.name, id), bad)
			}
			return nil
		}
		return p.way(id, tags)
	}
	var ll [2]float64
	for i, k := range []string{"lon", "lat"} {
		s, _ := xmlsafe.Attr(se, k)
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil && bad == "" {
			bad = fmt.Sprintf("%s %q is not a number", k, clip(s))
		}
		ll[i] = v
	}
	return p.node(id, ll[0], ll[1], bad, tags)
}

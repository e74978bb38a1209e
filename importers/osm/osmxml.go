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

// xml reads OSM XML: the node, way and relation elements under <osm>.
func (rd *reader) xml(r io.Reader) error {
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
			switch {
			case t.Name.Local == "node" || t.Name.Local == "way" || t.Name.Local == "relation" && rd.h.Relation != nil:
				err = rd.xmlObject(x, t)
			default: // bounds, changeset, relations nobody wants, …
				err = x.Skip()
			}
			if err != nil {
				return err
			}
		}
	}
}

// xmlObject reads a node, way or relation whose start was just read.
func (rd *reader) xmlObject(x *xmlsafe.Decoder, se xml.StartElement) error {
	if err := rd.tick(); err != nil {
		return err
	}
	x.StartRecord()
	rd.refs, rd.members = rd.refs[:0], rd.members[:0]
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
				case len(rd.refs) >= geo.MaxVertices:
					bad = fmt.Sprintf("the way has more than %d nodes", geo.MaxVertices)
				default:
					rd.refs = append(rd.refs, ref)
				}
			case "member":
				typ, _ := xmlsafe.Attr(t, "type")
				s, _ := xmlsafe.Attr(t, "ref")
				role, _ := xmlsafe.Attr(t, "role")
				if err := x.Keep(len(typ) + len(role)); err != nil {
					return err
				}
				// A member that cannot be read is left out, as one
				// outside the extract would be.
				if ref, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
					rd.members = append(rd.members, Member{Type: typ, Ref: ref, Role: role})
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
			rd.problem(fmt.Sprintf("%s near line %d", se.Name.Local, x.Line()), fmt.Sprintf("id %q is not a number", clip(s)))
		}
		return nil
	}
	switch se.Name.Local {
	case "way":
		if rd.h.Way == nil {
			return nil
		}
		return rd.h.Way(Way{ID: id, Refs: rd.refs, Tags: tags, Bad: bad})
	case "relation":
		return rd.h.Relation(Relation{ID: id, Members: rd.members, Tags: tags})
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
	return rd.node(Node{ID: id, Lon: ll[0], Lat: ll[1], Tags: tags, Bad: bad})
}

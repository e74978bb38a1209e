package csv

import (
	"strings"

	"github.com/coopmap/coopmap"
)

// coopsUK reads the Co-operatives UK open data layout (the "standard" CSV
// that Digital Commons converts it to; see the package documentation).
type coopsUK struct {
	col map[string]int // by the column names below, normalised
}

// Co-operatives UK column names, as norm gives them.
const (
	cukIdentifier   = "identifier"
	cukName         = "name"
	cukDescription  = "description"
	cukOrgStructure = "organisationalstructure"
	cukPrimary      = "primaryactivity"
	cukStreet       = "streetaddress"
	cukLocality     = "locality"
	cukRegion       = "region"
	cukPostcode     = "postcode"
	cukCountry      = "countryid"
	cukWebsite      = "website"
	cukPhone        = "phone"
	cukEmail        = "email"
	cukTwitter      = "twitter"
	cukFacebook     = "facebook"
	cukCompanies    = "companieshousenumber"
	cukMembership   = "membershiptype"
	cukLat          = "latitude"
	cukLon          = "longitude"
	cukGeo          = "geocontainer"
	cukGeoLat       = "geocontainerlatitude"
	cukGeoLon       = "geocontainerlongitude"
	cukSector       = "sector"
	cukSICSection   = "sicsection"
	cukSICCode      = "siccode"
	cukOwnership    = "ownershipclassification"
	cukLegalForm    = "legalform"
)

// cukProps maps the columns kept as properties to their property names.
var cukProps = map[string]string{
	cukOrgStructure: "organisational_structure",
	cukPrimary:      "primary_activity",
	cukRegion:       "local_authority",
	cukCountry:      "country",
	cukPhone:        "phone",
	cukTwitter:      "twitter",
	cukFacebook:     "facebook",
	cukCompanies:    "companies_house_number",
	cukMembership:   "membership_type",
	cukGeo:          "geo_container",
	cukSICSection:   "sic_section",
	cukSICCode:      "sic_code",
	cukOwnership:    "ownership",
	cukLegalForm:    "legal_form",
}

// cukFields are the columns that become feature fields (and nothing else).
var cukFields = []string{cukIdentifier, cukName, cukDescription, cukStreet, cukLocality, cukPostcode,
	cukWebsite, cukEmail, cukLat, cukLon, cukGeoLat, cukGeoLon, cukSector}

// detectCoopsUK returns the layout when the header has the Co-operatives
// UK columns that identify it, else nil.
func detectCoopsUK(index map[string]int) *coopsUK {
	for _, need := range []string{cukIdentifier, cukName, cukGeoLat, cukGeoLon} {
		if _, ok := index[need]; !ok {
			return nil
		}
	}
	c := &coopsUK{col: map[string]int{}}
	for _, k := range append(append([]string{}, cukFields...), cukRegion, cukLegalForm, cukOrgStructure, cukMembership, cukGeo) {
		c.col[k] = -1
		if i, ok := index[k]; ok {
			c.col[k] = i
		}
	}
	return c
}

// propCols lists the columns kept as properties: the known ones under
// their snake_case names, any others under their header names.
func (c *coopsUK) propCols(header []string) []propCol {
	field := map[string]bool{}
	for _, k := range cukFields {
		field[k] = true
	}
	seen := map[string]bool{}
	var out []propCol
	for i, h := range header {
		n := norm(h)
		if field[n] || seen[n] || n == "" {
			continue
		}
		seen[n] = true
		key := cukProps[n]
		if key == "" {
			key = h
		}
		out = append(out, propCol{i, key})
	}
	return out
}

// ESSglobal vocabulary labels, from the ESSglobal standard vocabularies
// (organisational-structure.skos, base-membership-type.skos): codes
// without a published English label are kept as codes.
var (
	orgStructureLabels = map[string]string{
		"OS10": "Community group (formal or informal)", "OS20": "Not-for-profit organisation",
		"OS30": "Social enterprise", "OS40": "Charity", "OS50": "Company (Other)",
		"OS60": "Workers co-operative", "OS70": "Housing co-operative", "OS80": "Consumer co-operative",
		"OS90": "Producer co-operative", "OS100": "Multi-stakeholder co-operative", "OS110": "Secondary co-operative",
		"OS120": "Community Interest Company (CIC)", "OS130": "Community Benefit Society / Industrial and Provident Society (IPS)",
		"OS140": "Employee trust", "OS150": "Self-employed", "OS160": "Unincorporated",
	}
	membershipLabels = map[string]string{
		"BMT10": "Consumer/Users", "BMT20": "Producers", "BMT30": "Workers",
		"BMT40": "Multi-stakeholders", "BMT50": "Residents", "BMT60": "Others",
	}
)

// vocabCode returns the last path segment of an ESSglobal URI.
func vocabCode(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func label(labels map[string]string, uri string) string {
	code := vocabCode(uri)
	if l, ok := labels[code]; ok {
		return l
	}
	return code
}

// osmLink starts a Geo Container that is an OpenStreetMap link: a
// geocoded town rather than an OS postcode unit.
const osmLink = "https://www.openstreetmap.org/"

// feature builds a feature from a Co-operatives UK row.
func (c *coopsUK) feature(p *rowParser, where string, rec []string, get func(string) string) (coopmap.Feature, string) {
	v := values{p: p, where: where}
	f := coopmap.Feature{ID: get(cukIdentifier)}
	if f.ID == "" {
		return f, "Identifier is empty: every Co-operatives UK row needs its CUK organisation id"
	}
	f.Name = v.text("name", get(cukName), coopmap.MaxShort)
	f.Description = v.text("description", get(cukDescription), coopmap.MaxText)
	f.Sector = v.text("sector", get(cukSector), coopmap.MaxShort)
	f.OrgType = get(cukLegalForm)
	if os := get(cukOrgStructure); f.OrgType == "" && os != "" {
		f.OrgType = label(orgStructureLabels, os)
	}
	var addr []string
	for _, k := range []string{cukStreet, cukLocality, cukRegion} {
		if s := oneLine(get(k)); s != "" {
			addr = append(addr, s)
		}
	}
	f.Address = v.text("address", strings.Join(addr, ", "), coopmap.MaxShort)
	pc := get(cukPostcode)
	f.Postcode = v.postcode(pc)
	f.Website = v.website(get(cukWebsite))
	f.Email = v.email(get(cukEmail))
	f.Properties = v.properties(rec, p.props)
	if f.Properties != nil {
		for key, labels := range map[string]map[string]string{"organisational_structure": orgStructureLabels, "membership_type": membershipLabels} {
			if s, ok := f.Properties[key].(string); ok {
				f.Properties[key] = label(labels, s)
			}
		}
		if s, ok := f.Properties["primary_activity"].(string); ok {
			f.Properties["primary_activity"] = vocabCode(s)
		}
	}

	// Exact coordinates, when the file has them, win over the postcode
	// centroids in Geo Container.
	if c.col[cukLat] >= 0 && c.col[cukLon] >= 0 {
		pt, ok, reason := p.lonLat(where, get(cukLon), get(cukLat), "Longitude", "Latitude")
		if reason != "" {
			return f, reason
		}
		if ok {
			f.Geometry, f.Precision = pt, coopmap.PrecisionExact
			return f, ""
		}
	}
	pt, ok, reason := p.lonLat(where, get(cukGeoLon), get(cukGeoLat), "Geo Container Longitude", "Geo Container Latitude")
	if reason != "" {
		return f, reason
	}
	if ok {
		f.Geometry, f.Precision = pt, coopmap.PrecisionPostcode
		if strings.HasPrefix(get(cukGeo), osmLink) {
			f.Precision = coopmap.PrecisionArea // geocoded from a town name
		}
		return f, ""
	}
	g, reason := p.byPostcode(pc)
	if reason != "" {
		return f, reason
	}
	f.Geometry, f.Precision = g, coopmap.PrecisionPostcode
	return f, ""
}

// Package csv reads delimited text (CSV, semicolon-separated, TSV) into
// coopmap features, for the import engine in package importers.
//
// # Layouts
//
// The first record is the header. Two layouts are understood:
//
//   - The Co-operatives UK open data file (recognised by its Identifier,
//     Name and Geo Container Latitude/Longitude columns) works without any
//     mapping; see the CoopsUK section.
//   - Any other CSV: the columns are found by their names, compared
//     ignoring case, spaces and punctuation (Mapping lists the names each
//     field is looked for under), or named explicitly with a Mapping (from
//     flags or ReadMapping). A location is needed: longitude and latitude
//     columns (lon, lng, long, longitude, x / lat, latitude, y), a WKT
//     column (wkt, geometry, geom) or a postcode column. Every other
//     non-empty column goes into the feature's Properties under its
//     header name.
//
// # Locations
//
// Each row is placed by the first of these it has: longitude and latitude
// (precision exact), WKT (exact), or a postcode found in the postcode table
// the parser was built with (precision postcode, the unit's centroid).
// Longitude and latitude must be plain decimal numbers: NaN, Inf, hex
// (0x1p3), thousands separators and empty values are refused, and 0,0 is
// taken as "no coordinates". A pair that is obviously swapped (outside
// the British Isles as given, inside them swapped: a British latitude in
// the longitude column) is swapped back, with a note. In a file not separated by commas a decimal
// comma (51,5) is accepted. WKT must be 2-D WGS84 (an "SRID=4326;" prefix
// is allowed) with plain decimal numbers. A row with none of these is left
// out with a problem naming its line and why ("postcode "BT40 3JY" is not
// in the postcode table").
//
// # CoopsUK
//
// Identifier is the key; Name, Description and Sector map across; OrgType
// is the Legal Form (or, where that is empty, the ESSglobal organisational
// structure's label); Address joins Street Address, Locality and Region
// (which holds the local authority); Postcode and Website map across.
// The coordinates are Geo Container Latitude/Longitude: Ordnance Survey
// postcode-unit centroids (precision postcode) or, where Geo Container is
// an OpenStreetMap link, a geocoded town (precision area). Latitude and
// Longitude, empty in the published file, win when filled (precision
// exact). A row without coordinates is placed by its postcode when the
// postcode table has it. The other columns go into Properties under
// snake_case names: legal_form, ownership, membership_type (ESSglobal
// base membership type label), organisational_structure (label),
// primary_activity (ESSglobal code, such as ICA280), sic_section,
// sic_code, companies_house_number, local_authority, country, phone,
// twitter, facebook, geo_container.
//
// # Values
//
// Text is trimmed. A website must be an http or https URL ("www.…" gains
// "http://"); an e-mail must look like one; a postcode must look like a
// postcode (UK postcodes are written in canonical form, "N22 6BH"); a
// founding date must be a year, an ISO date or a dd/mm/yyyy date; a
// value longer than coopmap's limits is dropped. Each dropped value is
// reported as a note (importers.Noter) and the row is kept.
//
// # Encodings and delimiters
//
// UTF-8 with or without a byte-order mark, UTF-16 with a byte-order mark,
// and Windows-1252 are read. By default the first 64 KiB decide: not
// valid UTF-8 means Windows-1252 (noted once per file); a later field
// that is not valid UTF-8 is decoded as Windows-1252 too, with a note.
// Options.Encoding forces one. The delimiter is the most frequent of
// comma, semicolon, tab and vertical bar in the header line, unless
// Options.Delimiter names one. Quoted fields may span lines; problems
// name the line a record starts on.
//
// # Limits
//
// A record (a row with its quoted line breaks) is at most MaxRecordSize
// bytes and MaxFields fields: a longer one, usually an unbalanced quote,
// stops the file with an error, since everything after it would be
// misread. Rows with the wrong number of fields, and quoting errors
// confined to a row, are left out with a problem. Blank rows (only
// delimiters) are skipped silently.
package csv

package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
)

// importTypes are the Content-Types a raw (not multipart) upload to
// /collections/{id}/import may have; the format is detected from the
// content either way (or given as ?format=).
var importTypes = []string{"text/csv", "text/plain", mediaJSON, mediaGeoJSON, "application/vnd.google-earth.kml+xml",
	"application/vnd.google-earth.kmz", mediaGPX, "application/xml", "text/xml", "application/octet-stream",
	"application/gzip", "application/x-gzip", "application/x-bzip2", "application/zip", "application/vnd.openstreetmap.data+xml"}

// cappedBody is a request body that remembers whether it ran past its
// limit, so an import that fails because the upload was too large says
// so, whatever the parser made of the read error.
type cappedBody struct {
	r    io.Reader
	over bool
}

func (c *cappedBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		c.over = true
	}
	return n, err
}

// importCollection answers POST /collections/{collection}/import (scope
// source:{id}:write): the upload becomes the complete contents of the
// source through the same all-or-nothing import engine as coopmap import,
// and the answer is the import report. The file is sent as the body (any
// of importTypes) or as the one file of a multipart/form-data body (field
// "file"); ?format= forces a format, ?dry_run=true writes nothing,
// ?strict=true fails at the first record left out. Every version the
// import writes (records added, changed and tombstoned, a metadata
// version) is by the token's name, with ?note= as its note: the body is
// the file, so the note travels in the query. Uploads are limited to
// Config.MaxImportBody bytes (413 beyond); larger files are imported with
// the CLI.
func (s *Server) importCollection(w http.ResponseWriter, r *http.Request) error {
	c, tok, err := s.editRequest(w, r, coopmap.SourceWriteScope)
	if err != nil {
		return err
	}
	if s.cfg.ImportFormats == nil {
		return coopmap.NotFoundf("this server does not import uploads")
	}
	v, err := params(r.URL.RawQuery, "format", "dry_run", "strict", "name", "note")
	if err != nil {
		return err
	}
	ch := coopmap.Change{By: tok.Name, Note: v.Get("note")}
	if err := ch.Validate(); err != nil {
		return err
	}
	opts := importers.Options{Source: coopmap.Source{ID: c.ID}, Formats: s.cfg.ImportFormats, Format: v.Get("format")}
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"dry_run", &opts.DryRun}, {"strict", &opts.Strict}} {
		if p := v.Get(b.name); p != "" {
			if *b.dst, err = strconv.ParseBool(p); err != nil {
				return coopmap.Invalidf(b.name, "must be true or false")
			}
		}
	}
	body := &cappedBody{r: http.MaxBytesReader(w, r.Body, s.cfg.MaxImportBody)}
	in := importers.Input{Name: path.Base("/" + v.Get("name")), Reader: body}
	if in.Name == "/" {
		in.Name = "upload"
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mt == "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return coopmap.Invalidf("body", "is not multipart/form-data: %v", err)
		}
		for {
			part, err := mr.NextPart()
			if body.over {
				return tooLargeUpload(s.cfg.MaxImportBody)
			}
			if err == io.EOF {
				return coopmap.Invalidf("file", "the form has no file field")
			}
			if err != nil {
				return coopmap.Invalidf("body", "is not valid multipart/form-data: %v", err)
			}
			if part.FormName() != "file" {
				return coopmap.Invalidf(clipParam(part.FormName()), "is not a field of this form; send the file as \"file\"")
			}
			if fn := part.FileName(); fn != "" {
				in.Name = path.Base("/" + fn)
			}
			in.Reader = part
			// The rest of the form (another file) is ignored.
			break
		}
	case slices.Contains(importTypes, mt):
	default:
		return &coopmap.Error{Code: codeUnsupportedMedia, Field: "Content-Type",
			Message: "send the file as multipart/form-data (field \"file\") or as the body with its own type, such as text/csv or application/geo+json"}
	}
	rep, err := importers.Import(coopmap.WithChange(r.Context(), ch), s.store, opts, in)
	s.ObserveImport(err)
	if body.over {
		return tooLargeUpload(s.cfg.MaxImportBody)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, rep)
}

func tooLargeUpload(limit int64) error {
	return &coopmap.Error{Code: coopmap.CodeTooLarge, Field: "body",
		Message: fmt.Sprintf("the upload is larger than this server's limit of %d bytes; import larger files with coopmap import", limit)}
}

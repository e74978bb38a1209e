package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/export"
)

// Limits of downloads.
const (
	// downloadIdle is how long a download may go without the client
	// taking any of it before the connection is dropped. There is no
	// limit on a download's total time while the client keeps reading.
	downloadIdle = time.Minute
	// buildTimeout bounds building a GeoPackage before any of it is sent;
	// beyond it the answer is a 503 problem.
	buildTimeout = 10 * time.Minute
	// defaultGeoPackageBuilds is how many GeoPackage downloads may be
	// built at once when Config.GeoPackageBuilds is 0; a request beyond
	// that gets a 503 problem with Retry-After.
	defaultGeoPackageBuilds = 2
)

// downloadParams are the parameters of /collections/{collection}/download,
// besides the collection's queryables: the format and the items filters.
var downloadParams = []string{"f", "bbox", "bbox-crs", "datetime", "q"}

// downloadFilters are the download parameters that select features.
var downloadFilters = []string{"bbox", "datetime", "q"}

// downloads is the download handlers' state: the formats, and the slots
// for GeoPackage builds, which take disk and time.
type downloads struct {
	formats []export.Format
	builds  chan struct{}
}

// newDownloads returns the downloads of a server with cfg.
func newDownloads(cfg Config) *downloads {
	n := cfg.GeoPackageBuilds
	if n <= 0 {
		n = defaultGeoPackageBuilds
	}
	return &downloads{formats: export.Formats(cfg.GeoPackage), builds: make(chan struct{}, n)}
}

// format returns the format named by f, or an invalid error naming f.
func (d *downloads) format(f string) (export.Format, error) {
	i := slices.IndexFunc(d.formats, func(x export.Format) bool { return x.Name == f })
	if i < 0 {
		names := make([]string, len(d.formats))
		for j, x := range d.formats {
			names[j] = x.Name
		}
		return export.Format{}, coopmap.Invalidf("f", "%q is not a download format; use %s", clipParam(f), strings.Join(names, ", "))
	}
	return d.formats[i], nil
}

// downloadRoutes registers the download endpoint. Text formats are
// gzipped when the client accepts it; zip and GeoPackage are not.
func (s *Server) downloadRoutes(r chi.Router) {
	r.With(middleware.Compress(5, "application/geo+json", "application/vnd.google-earth.kml+xml", "application/gpx+xml")).
		Get("/collections/{collection}/download", s.handle(s.download))
}

// download serves /collections/{collection}/download?f=FORMAT: the whole
// collection, or with bbox, datetime, q or queryable filters the features
// items would list for them, as one file streamed as it is written.
//
// Everything that can be wrong with the request is found before the
// first byte is sent, and answered with a problem. A failure after that
// (the store, mid-stream) cannot change the status any more: it is logged
// and the connection is dropped, so the client sees a broken transfer
// rather than a short file that looks whole.
func (s *Server) download(w http.ResponseWriter, r *http.Request) error {
	c, err := s.findCollection(r.Context(), chi.URLParam(r, "collection"))
	if err != nil {
		return err
	}
	v, err := params(r.URL.RawQuery, append(slices.Clone(downloadParams), c.queryables()...)...)
	if err != nil {
		return err
	}
	name := v.Get("f")
	if !v.Has("f") {
		name = export.NameGeoJSON
	}
	format, err := s.downloads.format(name)
	if err != nil {
		return err
	}
	q, err := itemsQuery(v, c.queryables())
	if err != nil {
		return err
	}
	filtered := slices.ContainsFunc(append(slices.Clone(downloadFilters), c.queryables()...), v.Has)
	q.Limit = coopmap.MaxLimit
	if _, _, err := q.Normalize(); err != nil {
		return err
	}

	if c.tours && len(c.Sources) == 0 {
		return coopmap.NotFoundf("there are no tours to download yet")
	}

	ctx := r.Context()
	rc := http.NewResponseController(w)
	if format.Name == export.NameGeoPackage {
		select {
		case s.downloads.builds <- struct{}{}:
			defer func() { <-s.downloads.builds }()
		default:
			w.Header().Set("Retry-After", "30")
			writeProblem(w, Problem{Type: "https://coopmap.org/problems/busy", Title: "Busy", Status: http.StatusServiceUnavailable,
				Detail: fmt.Sprintf("%d GeoPackage downloads are being built; try again shortly, or choose another format", cap(s.downloads.builds))})
			return nil
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, buildTimeout)
		defer cancel()
		_ = rc.SetWriteDeadline(time.Now().Add(buildTimeout + downloadIdle))
	}

	var features iter.Seq2[coopmap.Feature, error]
	switch {
	case c.tours:
		features, err = s.tourDownload(ctx, c, q)
		if err != nil {
			return err
		}
	case filtered:
		q.Sources = []string{c.ID}
		features = s.matching(ctx, q)
	default:
		features = s.store.SourceFeatures(ctx, c.ID)
	}

	file := c.ID
	if filtered {
		file += "-filtered"
	}
	h := w.Header()
	h.Set("Content-Type", format.MediaType)
	h.Set("Content-Disposition", `attachment; filename="`+file+"."+format.Ext+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	for _, l := range c.licences() {
		if l.URL != "" {
			h.Add("Link", "<"+l.URL+`>; rel="license"`)
		}
	}
	dw := &downloadWriter{w: w, rc: rc}
	err = format.Write(ctx, dw, downloadSource(c), features)
	if err == nil {
		return nil
	}
	if dw.n == 0 {
		// Nothing sent: the error can still be answered properly.
		for _, k := range []string{"Content-Disposition", "Link", "Content-Encoding", "Vary"} {
			h.Del(k)
		}
		return err
	}
	if r.Context().Err() == nil && !errors.Is(err, context.Canceled) {
		s.log.ErrorContext(r.Context(), "download failed midway", "path", r.URL.Path, "format", format.Name, "sent_bytes", dw.n, "err", err)
	}
	panic(http.ErrAbortHandler) // net/http's way to drop the connection
}

// matching streams the features q matches, a page of coopmap.MaxLimit at
// a time, following the keyset cursors.
func (s *Server) matching(ctx context.Context, q coopmap.Query) iter.Seq2[coopmap.Feature, error] {
	return func(yield func(coopmap.Feature, error) bool) {
		for {
			page, err := s.store.Features(ctx, q)
			if err != nil {
				yield(coopmap.Feature{}, err)
				return
			}
			for _, f := range page.Features {
				if !yield(f, nil) {
					return
				}
			}
			if page.Next == "" {
				return
			}
			q.After = page.Next
		}
	}
}

// tourDownload returns the features of a tours collection that q
// matches. Tours are few, so they are held in memory, as items does.
func (s *Server) tourDownload(ctx context.Context, c collection, q coopmap.Query) (iter.Seq2[coopmap.Feature, error], error) {
	all, err := s.tourFeatures(ctx, c)
	if err != nil {
		return nil, err
	}
	var out []coopmap.Feature
	for {
		page, err := memPage(all, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Features...)
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	return func(yield func(coopmap.Feature, error) bool) {
		for _, f := range out {
			if !yield(f, nil) {
				return
			}
		}
	}, nil
}

// downloadSource returns the provenance a download of c carries: its
// source's, or for the tour collections one made of every tours source's
// (licence ids joined with " AND ", as in an SPDX expression, and
// attributions joined).
func downloadSource(c collection) coopmap.Source {
	if !c.tours && len(c.Sources) == 1 {
		return c.Sources[0]
	}
	src := coopmap.Source{ID: c.ID, Title: c.Title, Description: c.Description, Kind: coopmap.KindTours,
		Attribution: c.attribution(), UpdatedAt: c.updated}
	var ids, names, urls, owners, origins []string
	for _, l := range c.licences() {
		ids, names, urls = appendNew(ids, l.ID), appendNew(names, l.Name), appendNew(urls, l.URL)
	}
	for _, s := range c.Sources {
		owners, origins = appendNew(owners, s.Owner), appendNew(origins, s.Origin)
	}
	src.Licence = coopmap.Licence{ID: strings.Join(ids, " AND "), Name: strings.Join(names, "; "), URL: strings.Join(urls, " ")}
	src.Owner, src.Origin = strings.Join(owners, "; "), strings.Join(origins, " ")
	if len(c.Sources) == 1 {
		src.Licence, src.RetrievedAt = c.Sources[0].Licence, c.Sources[0].RetrievedAt
	}
	return src
}

// appendNew appends s to list unless it is empty or already there.
func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// downloadWriter counts what a download has sent, and keeps moving the
// connection's write deadline downloadIdle ahead while the client takes
// data, so a long download of a big collection is not cut off by the
// server's WriteTimeout while a stalled one still is.
type downloadWriter struct {
	w        io.Writer
	rc       *http.ResponseController
	n        int64
	extended time.Time
}

func (d *downloadWriter) Write(p []byte) (int, error) {
	if now := time.Now(); now.Sub(d.extended) > time.Second {
		// A writer that cannot set deadlines (a test recorder) keeps
		// the server's.
		_ = d.rc.SetWriteDeadline(now.Add(downloadIdle))
		d.extended = now
	}
	n, err := d.w.Write(p)
	d.n += int64(n)
	return n, err
}

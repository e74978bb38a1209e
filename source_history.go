package coopmap

import (
	"context"
	"fmt"
	"time"
)

// Source metadata history. A store that implements SourceHistory keeps
// every version of every source's metadata (SourceMeta) with who changed
// it, when and why, written in the same transaction as the change: the
// first import that creates a source (OpCreate), Editor.UpdateSourceMeta
// (OpUpdate), RevertSourceMeta (OpRevert) and a re-import whose metadata
// differs from the stored (OpImport). An import's version (OpCreate or
// OpImport) has the Change its context carries (WithChange), or an empty
// By without one. Sources that
// existed before a store kept this history start it with their metadata
// at that time, as version 1 with OpCreate. The newest kept version always
// equals the source's current metadata.
//
// These versions count the metadata's own changes, 1, 2, 3…; they are not
// Source.Version, which grows on every change to the source's contents
// too and is what a write's ifVersion (the HTTP If-Match) names.
// DeleteSource deletes a source's metadata history with it.
//
// Without SourceHistory, a store keeps only each source's current
// metadata and the web layer serves no source history or revert.

// SourceMeta is the metadata of a source that its owner sets: what
// Editor.UpdateSourceMeta replaces and a metadata history keeps. The
// store-maintained kind, count, times and version are not part of it.
type SourceMeta struct {
	Title       string  `json:"title"`
	Description string  `json:"description"`
	Licence     Licence `json:"licence"`
	Attribution string  `json:"attribution"`
	Owner       string  `json:"owner"`
	Origin      string  `json:"origin"`
	// RetrievedAt is when the data was taken from its origin; the zero
	// time when not known.
	RetrievedAt time.Time `json:"retrieved_at,omitzero"`
}

// Meta returns the metadata of s.
func (s Source) Meta() SourceMeta {
	return SourceMeta{Title: s.Title, Description: s.Description, Licence: s.Licence, Attribution: s.Attribution,
		Owner: s.Owner, Origin: s.Origin, RetrievedAt: s.RetrievedAt}
}

// WithMeta returns s with its metadata replaced by m; its id, kind,
// count, times and version stay.
func (s Source) WithMeta(m SourceMeta) Source {
	s.Title, s.Description, s.Licence, s.Attribution = m.Title, m.Description, m.Licence, m.Attribution
	s.Owner, s.Origin, s.RetrievedAt = m.Owner, m.Origin, m.RetrievedAt
	return s
}

// SourceVersion is one kept version of a source's metadata.
type SourceVersion struct {
	SourceID string `json:"source_id"`
	// Version counts the source's metadata versions from 1 (see the
	// comment above SourceMeta); it is not Source.Version.
	Version int64     `json:"version"`
	At      time.Time `json:"at"`
	// By and Note are the Change that made the version; By is empty for
	// an import run without one (see WithChange).
	By   string `json:"by"`
	Note string `json:"note"`
	// Op is one of OpCreate, OpUpdate, OpRevert, OpImport.
	Op string `json:"op"`
	// Fields lists the metadata fields (JSON names of SourceMeta) that
	// differ from the previous version; for version 1, every field that
	// is set. See ChangedSourceFields.
	Fields []string `json:"fields"`
	// Meta is the metadata at this version.
	Meta SourceMeta `json:"meta"`
}

// SourceHistory is an optional Store capability: a history of every
// source's metadata, and revert (see the comment above SourceMeta).
// Stores that implement it write the history from ReplaceSource and
// Editor.UpdateSourceMeta as well. Common errors: CodeNotFound for a
// missing source, and the store's or ctx's error.
type SourceHistory interface {
	// SourceMetaHistory returns every kept version of a source's
	// metadata, newest first, with Fields filled. Errors: CodeNotFound
	// for no such source.
	SourceMetaHistory(ctx context.Context, id string) ([]SourceVersion, error)
	// RevertSourceMeta makes a new metadata version of source id, whose
	// stored Source.Version must be ifVersion, equal to its kept version
	// (a SourceVersion.Version), and returns the source with the next
	// Source.Version. It validates c (Change.Validate) and runs in one
	// transaction with its history row. Errors: CodeNotFound for the
	// source, or naming "version" for a version never kept (see
	// SourceVersionNotFound); *VersionConflict (CodeConflict) when
	// ifVersion is stale, as UpdateSourceMeta reports it; CodeInvalid
	// naming the field.
	RevertSourceMeta(ctx context.Context, id string, version, ifVersion int64, c Change) (Source, error)
}

// SourceVersionNotFound is the error of a revert of source id to a
// metadata version it never had: CodeNotFound naming "version".
func SourceVersionNotFound(id string, version int64) error {
	return &Error{Code: CodeNotFound, Field: "version",
		Message: fmt.Sprintf("source %q has no metadata version %d; its history lists the versions kept", id, version)}
}

// ChangedSourceFields returns the metadata fields (JSON names: title,
// description, licence, attribution, owner, origin, retrieved_at) whose
// values differ between two versions, in that order. With a nil prev it
// lists every field that is set in next.
func ChangedSourceFields(prev *SourceMeta, next SourceMeta) []string {
	var p SourceMeta
	if prev != nil {
		p = *prev
	}
	out := []string{}
	for _, f := range []struct {
		name      string
		same, set bool
	}{
		{"title", p.Title == next.Title, next.Title != ""},
		{"description", p.Description == next.Description, next.Description != ""},
		{"licence", p.Licence == next.Licence, next.Licence != Licence{}},
		{"attribution", p.Attribution == next.Attribution, next.Attribution != ""},
		{"owner", p.Owner == next.Owner, next.Owner != ""},
		{"origin", p.Origin == next.Origin, next.Origin != ""},
		{"retrieved_at", p.RetrievedAt.Equal(next.RetrievedAt), !next.RetrievedAt.IsZero()},
	} {
		if prev == nil && f.set || prev != nil && !f.same {
			out = append(out, f.name)
		}
	}
	return out
}

// FillSourceFields sets Fields on vs, a history newest first, by
// ChangedSourceFields against the next older version.
func FillSourceFields(vs []SourceVersion) {
	for i := range vs {
		var prev *SourceMeta
		if i+1 < len(vs) {
			prev = &vs[i+1].Meta
		}
		vs[i].Fields = ChangedSourceFields(prev, vs[i].Meta)
	}
}

// RevertedMeta returns the source a RevertSourceMeta of old to the kept
// version kept stores: old with kept's metadata, checked as UpdatedMeta
// checks an update based on ifVersion.
func RevertedMeta(old Source, kept SourceVersion, ifVersion int64) (Source, error) {
	return UpdatedMeta(old, old.WithMeta(kept.Meta), ifVersion)
}

// ImportMetaOp returns the Op of the metadata version a ReplaceSource
// writes: OpCreate when it created the source, OpImport when it changed
// the stored metadata, "" (no version) otherwise.
func ImportMetaOp(created, metaChanged bool) string {
	switch {
	case created:
		return OpCreate
	case metaChanged:
		return OpImport
	}
	return ""
}

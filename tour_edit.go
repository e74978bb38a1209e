package coopmap

import (
	"context"
	"reflect"
	"time"
)

// Tour history. A store that implements TourEditor keeps every version of
// every tour with who made it, when and why, and a tombstone for a deleted
// tour so it can be restored. Its Writer tour methods (CreateTour,
// UpdateTour, DeleteTour, used by the CLI) keep history too, with an empty
// Change.By. Versions work as for records (see Editor): every change,
// including a delete, a restore and a revert, makes the next version, and
// a write based on another version than the stored one fails with a
// *VersionConflict. Unlike a record's, a deleted tour's id is free again:
// CreateTour over a tombstone starts the tour anew, continuing its version
// numbers and its history. DeleteSource deletes the history of its tours.
//
// Without TourEditor, a store keeps only each tour's current version and
// the web layer serves no tour history, revert or restore.

// TourRevision is one stored version of a tour.
type TourRevision struct {
	TourID  string    `json:"tour_id"`
	Version int64     `json:"version"`
	At      time.Time `json:"at"`
	// By and Note are the Change that made the version; By is empty for
	// a change made through Writer.
	By   string `json:"by,omitempty"`
	Note string `json:"note,omitempty"`
	// Op is one of OpCreate, OpUpdate, OpDelete, OpRestore, OpRevert.
	Op string `json:"op"`
	// Fields lists the tour's fields (JSON names, "route" for the route)
	// that differ from the previous version; for the oldest version,
	// every field that is set. See ChangedTourFields.
	Fields []string `json:"fields"`
	// Deleted is true for a tombstone; its Tour is the content the tour
	// had when it was deleted.
	Deleted bool `json:"deleted"`
	// Tour is the tour's content at this version, with Version and
	// UpdatedAt set to the revision's. Stops that reference a record are
	// resolved as Reader.Tour resolves them, from the record as it is now.
	Tour Tour `json:"tour"`
}

// TourEditor is an optional Store capability: tours with history,
// attributable changes, revert and restore (see the comment above). Every
// method validates c (Change.Validate) and runs in one transaction: on any
// error nothing changes. Common errors: CodeInvalid naming the field,
// CodeNotFound for a missing tour, *VersionConflict (CodeConflict) when
// ifVersion is not the stored version, and the store's or ctx's error.
type TourEditor interface {
	// CreateTourAs is Writer.CreateTour made by c: version 1, or the
	// version after the tombstone of a deleted tour with the same id.
	// Errors as for CreateTour.
	CreateTourAs(ctx context.Context, t Tour, c Change) (Tour, error)
	// UpdateTourAs is Writer.UpdateTour made by c, based on ifVersion
	// (t.Version is ignored). Errors as for UpdateTour, and a
	// *VersionConflict for a stale ifVersion.
	UpdateTourAs(ctx context.Context, t Tour, ifVersion int64, c Change) (Tour, error)
	// DeleteTourAs deletes the tour at ifVersion, leaving a tombstone,
	// and returns its last content with the tombstone's version. Errors:
	// CodeNotFound, *VersionConflict.
	DeleteTourAs(ctx context.Context, id string, ifVersion int64, c Change) (Tour, error)
	// RestoreTour brings back a tour deleted at ifVersion (its tombstone's
	// version) with the content it had, as the next version. Errors:
	// CodeNotFound for an id with no history, *VersionConflict,
	// CodeConflict when the tour is not deleted.
	RestoreTour(ctx context.Context, id string, ifVersion int64, c Change) (Tour, error)
	// RevertTour makes a new version of a live tour at ifVersion whose
	// content equals that of its version toVersion. Errors: CodeNotFound
	// for the tour or for toVersion (field "version"), *VersionConflict,
	// CodeConflict for a deleted tour, CodeInvalid when a stop of that
	// version references a record that is gone ("stops[i].feature_id").
	RevertTour(ctx context.Context, id string, toVersion, ifVersion int64, c Change) (Tour, error)
	// TourHistory returns every kept version of a tour, live or deleted,
	// newest first, with Fields filled. Errors: CodeNotFound for an id
	// with no live tour and no history.
	TourHistory(ctx context.Context, id string) ([]TourRevision, error)
}

// TourState is what a store knows of a tour before a TourEditor write:
// whether it is live, whether it has a tombstone, and its newest version
// (the live row's, or the tombstone's).
type TourState struct {
	Live, Deleted bool
	Version       int64
}

// Check returns the error of a write to tour id based on ifVersion that
// needs the tour live (wantLive) or deleted: CodeNotFound when it is
// neither, *VersionConflict when ifVersion is stale, CodeConflict when it
// is deleted (or live) though the write needs the opposite.
func (st TourState) Check(id string, ifVersion int64, wantLive bool) error {
	switch {
	case !st.Live && !st.Deleted:
		return NotFoundf("no tour has id %q", id)
	case st.Version != ifVersion:
		return &VersionConflict{ID: id, Current: st.Version, Given: ifVersion, Deleted: !st.Live}
	case wantLive && !st.Live:
		return Errorf(CodeConflict, "tour %q is deleted; restore it first", id)
	case !wantLive && st.Live:
		return Errorf(CodeConflict, "tour %q is not deleted", id)
	}
	return nil
}

// NextVersion returns the version a create writes: 1, or the version
// after a tombstone. CodeConflict when the tour is live.
func (st TourState) NextVersion(id string) (int64, error) {
	if st.Live {
		return 0, Errorf(CodeConflict, "a tour with id %q already exists", id)
	}
	if st.Deleted {
		return st.Version + 1, nil
	}
	return 1, nil
}

// CheckTourChange validates c for a TourEditor write; an anonymous Writer
// change (the empty Change) is allowed as well.
func CheckTourChange(c Change) error {
	if c == (Change{}) {
		return nil
	}
	return c.Validate()
}

// ChangedTourFields returns the fields of a tour (JSON names: title,
// region, description, stops, legs, route, distance_m) whose values differ
// between two versions, in that order. With a nil prev it lists every
// field that is set in next. ID, SourceID, Version and UpdatedAt are not
// compared.
func ChangedTourFields(prev *Tour, next Tour) []string {
	var p Tour
	if prev != nil {
		p = *prev
	}
	fields := []struct {
		name string
		a, b any
		set  bool
	}{
		{"title", p.Title, next.Title, next.Title != ""},
		{"region", p.Region, next.Region, next.Region != ""},
		{"description", p.Description, next.Description, next.Description != ""},
		{"stops", p.Stops, next.Stops, len(next.Stops) > 0},
		{"legs", p.Legs, next.Legs, len(next.Legs) > 0},
		{"route", p.Route, next.Route, len(next.Route) > 0},
		{"distance_m", p.DistanceM, next.DistanceM, next.DistanceM != 0},
	}
	out := []string{}
	for _, f := range fields {
		if prev == nil && f.set || prev != nil && !sameValue(f.a, f.b) {
			out = append(out, f.name)
		}
	}
	return out
}

// sameValue compares field values, treating empty and nil slices alike.
func sameValue(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Kind() == reflect.Slice && va.Len() == 0 && vb.Len() == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// FillTourFields sets Fields on revs, a history newest first, by
// ChangedTourFields against the next older revision.
func FillTourFields(revs []TourRevision) {
	for i := range revs {
		var prev *Tour
		if i+1 < len(revs) {
			prev = &revs[i+1].Tour
		}
		revs[i].Fields = ChangedTourFields(prev, revs[i].Tour)
	}
}

package coopmap

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"
)

// Optional store capabilities for editing. A store that implements Editor
// lets owners change single records with optimistic concurrency and keeps
// every version; one that implements Moderation keeps a queue of public
// suggestions. cmd wires the store; the web layer checks for these
// interfaces by type assertion and, without them, serves reads only (the
// fallback for changing data is re-importing a whole source).
//
// Versions. Every record has a Version that the store raises by one on
// every change: an edit, a delete, a restore, a revert, or an import that
// changes its content. Every write names the version it is based on
// (ifVersion, the HTTP If-Match); when that is not the stored version the
// write changes nothing and fails with a *VersionConflict. Writes are
// serialised per record, so of N concurrent writes based on the same
// version exactly one succeeds.
//
// Tombstones. A deleted record disappears from every Reader method, tile,
// download, count and search index, but its id stays taken and its
// history stays readable: RestoreFeature brings it back as a new version.
// DeleteSource deletes its history and suggestions with it.
//
// Imports. A re-import (Writer.ReplaceSource) is the complete content of a
// source: it overwrites edits to records it contains (each such change is
// a new version with Op "import", so edits can be reverted back), deletes
// records it no longer contains (a tombstone with Op "import"), and
// re-adds a tombstoned record it contains again (the next version after
// the tombstone, Op "import"). Every version an import writes (records
// added, changed and tombstoned, and the source's metadata version) has
// the By and Note of the Change its context carries (WithChange; the
// write API's upload carries the token's name), or an empty By without
// one (coopmap import). A store keeps an attributed import's new live
// versions in the history at once, as it does an edit's.

// Revision operations: what made a version.
const (
	OpCreate  = "create"
	OpUpdate  = "update"
	OpDelete  = "delete"
	OpRestore = "restore"
	OpRevert  = "revert"
	OpImport  = "import"
	// OpSuggestion: an accepted public suggestion; the note names the
	// suggester and the moderator.
	OpSuggestion = "suggestion"
)

// Editing limits, enforced by Change.Validate and the stores.
const (
	// MaxChangeBy bounds Change.By (a token name).
	MaxChangeBy = 200
	// MaxChangeNote bounds Change.Note.
	MaxChangeNote = 2000
	// MaxSuggestionNote bounds Suggestion.Note and Suggestion.Reason.
	MaxSuggestionNote = 2000
	// MaxSuggestionContact bounds Suggestion.Contact and Suggestion.Name.
	MaxSuggestionContact = 200
	// MaxPendingPerSource bounds the pending suggestions of one source;
	// more are refused with CodeTooLarge until moderators catch up.
	MaxPendingPerSource = 1000
	// MaxPendingPerClient bounds the pending suggestions from one
	// Suggestion.ClientKey across all sources (CodeTooLarge beyond).
	MaxPendingPerClient = 20
	// MaxSuggestionsPage bounds the limit of Moderation.Suggestions.
	MaxSuggestionsPage = 500
)

// Change says who made a change and why. The store stamps the time.
type Change struct {
	// By names who made the change: the API token's name, required.
	By string `json:"by"`
	// Note is an optional free-text reason, shown in the history.
	Note string `json:"note,omitempty"`
}

// Validate checks a change: a By of 1–MaxChangeBy bytes and a Note of at
// most MaxChangeNote. The error is CodeInvalid naming "by" or "note".
func (c Change) Validate() error {
	if c.By == "" {
		return Invalidf("by", "who made the change is required")
	}
	return checkStrings(field{"by", c.By, MaxChangeBy}, field{"note", c.Note, MaxChangeNote})
}

// changeKey is the context key of WithChange.
type changeKey struct{}

// WithChange returns a copy of ctx that carries c: who is making the
// changes of this request, and why. It is request-scoped data for the
// writes whose signature takes no Change: a Writer.ReplaceSource run with
// it records c on every version it writes (see ImportChange). The write
// API attributes an upload so; coopmap import passes none.
func WithChange(ctx context.Context, c Change) context.Context {
	return context.WithValue(ctx, changeKey{}, c)
}

// ChangeFrom returns the Change ctx carries (WithChange), and whether it
// carries one.
func ChangeFrom(ctx context.Context) (Change, bool) {
	c, ok := ctx.Value(changeKey{}).(Change)
	return c, ok
}

// ImportChange returns the Change a Writer.ReplaceSource records on the
// versions it writes: the one ctx carries (WithChange), checked by
// Change.Validate, whose error it returns (CodeInvalid naming "by" or
// "note"); or the zero Change, an import by nobody named (an empty By),
// when ctx carries none.
func ImportChange(ctx context.Context) (Change, error) {
	c, ok := ChangeFrom(ctx)
	if !ok {
		return Change{}, nil
	}
	return c, c.Validate()
}

// Revision is one stored version of a record.
type Revision struct {
	FeatureID string    `json:"feature_id"`
	Version   int64     `json:"version"`
	At        time.Time `json:"at"`
	// By and Note are the Change that made the version; By is empty for
	// an import run without one (see WithChange).
	By   string `json:"by,omitempty"`
	Note string `json:"note,omitempty"`
	// Op is one of OpCreate, OpUpdate, OpDelete, OpRestore, OpRevert,
	// OpImport, OpSuggestion.
	Op string `json:"op"`
	// Fields lists the top-level fields (JSON names, "geometry" for the
	// location) that differ from the previous version; for the oldest
	// version kept, every field that is set. See ChangedFields.
	Fields []string `json:"fields"`
	// Deleted is true for a tombstone; its Feature is the content the
	// record had when it was deleted.
	Deleted bool `json:"deleted"`
	// Feature is the record's content at this version, with Version and
	// UpdatedAt set to the revision's.
	Feature Feature `json:"feature"`
}

// VersionConflict is the error of a write based on a stale version. It
// wraps a CodeConflict *Error, so ErrorCode reports CodeConflict and
// errors.Is(err, ErrConflict) holds; use errors.As to read the current
// version (for HTTP 412 with the current ETag).
type VersionConflict struct {
	// ID is the record's (or source's) id.
	ID string
	// Current is the stored version; Given is the version the write was
	// based on.
	Current, Given int64
	// Deleted reports that the record is a tombstone at Current.
	Deleted bool
}

// Error implements error.
func (e *VersionConflict) Error() string { return e.Unwrap().Error() }

// Unwrap returns the CodeConflict *Error the conflict is.
func (e *VersionConflict) Unwrap() error {
	state := ""
	if e.Deleted {
		state = " (deleted)"
	}
	return &Error{Code: CodeConflict, Field: "version", Message: fmt.Sprintf(
		"%q is at version %d%s, but this change is based on version %d; reload it and apply the change again",
		e.ID, e.Current, state, e.Given)}
}

// Editor is an optional Store capability: editing single records of coops
// and features sources, with versions, history and tombstones (see the
// package comment above). Every method validates c (Change.Validate) and
// runs in one transaction: on any error nothing changes. Common errors:
// CodeInvalid naming the field, CodeNotFound for a missing record or
// source, *VersionConflict (CodeConflict) when ifVersion is not the stored
// version, and the store's or ctx's error.
type Editor interface {
	// CreateFeature stores a new record in an existing coops or features
	// source and returns it at version 1. An empty f.ID is filled with NewFeatureID(f.SourceID); f.Version and
	// f.UpdatedAt are ignored. Errors: CodeInvalid from Feature.Validate,
	// "source_id" for a missing source or a tours source; CodeConflict
	// for a taken id (live or deleted).
	CreateFeature(ctx context.Context, f Feature, c Change) (Feature, error)
	// UpdateFeature replaces the content of record f.ID, whose stored
	// version must be ifVersion, and returns it at the next version. An
	// empty f.SourceID means the record's own; a record stays in its
	// source (CodeInvalid "source_id" otherwise). An update that changes
	// nothing still makes a new version. Errors: CodeNotFound for no such
	// record, *VersionConflict, CodeConflict for a deleted record
	// (restore it first), CodeInvalid.
	UpdateFeature(ctx context.Context, f Feature, ifVersion int64, c Change) (Feature, error)
	// DeleteFeature tombstones a live record at ifVersion and returns its
	// last content with the tombstone's version. Errors: CodeNotFound,
	// *VersionConflict, CodeConflict when it is already deleted.
	DeleteFeature(ctx context.Context, id string, ifVersion int64, c Change) (Feature, error)
	// RestoreFeature brings back a record tombstoned at ifVersion with the
	// content it had when deleted, as the next version. Errors:
	// CodeNotFound for an id with no history, *VersionConflict,
	// CodeConflict when the record is not deleted or its id has since
	// been taken by another record.
	RestoreFeature(ctx context.Context, id string, ifVersion int64, c Change) (Feature, error)
	// RevertFeature makes a new version of a live record at ifVersion
	// whose content equals that of its version toVersion. Errors:
	// CodeNotFound for the record or for toVersion (field "to_version"),
	// *VersionConflict, CodeConflict for a deleted record, CodeInvalid
	// when toVersion's content belongs to another source.
	RevertFeature(ctx context.Context, id string, toVersion, ifVersion int64, c Change) (Feature, error)
	// FeatureHistory returns every kept version of a record, live or
	// deleted, newest first. Errors: CodeNotFound for an id with no live
	// row and no history.
	FeatureHistory(ctx context.Context, id string) ([]Revision, error)
	// DeletedFeatures returns the tombstones of a source (records deleted
	// and not restored or re-imported), newest first, at most limit
	// (1–MaxSuggestionsPage; 0 means MaxSuggestionsPage). Errors:
	// CodeNotFound for a missing source, CodeInvalid "limit".
	DeletedFeatures(ctx context.Context, sourceID string, limit int) ([]Revision, error)
	// UpdateSourceMeta replaces a source's metadata (title, description,
	// licence, attribution, owner, origin, retrieved_at), not its kind,
	// contents, count or times, when the stored Source.Version is
	// ifVersion, and returns it with the next version. Errors:
	// CodeNotFound, *VersionConflict, CodeInvalid from Source.Validate or
	// "kind" for a changed kind.
	UpdateSourceMeta(ctx context.Context, src Source, ifVersion int64, c Change) (Source, error)
}

// Suggestion statuses.
const (
	SuggestionPending  = "pending"
	SuggestionAccepted = "accepted"
	SuggestionRejected = "rejected"
)

// Suggestion is a public proposal to add a record to a source or to
// correct one, kept in a per-source queue until a moderator accepts or
// rejects it. It is never applied directly.
type Suggestion struct {
	// ID is assigned by the store.
	ID       int64  `json:"id"`
	SourceID string `json:"source_id"`
	// FeatureID is the record to correct; "" proposes a new record.
	FeatureID string `json:"feature_id,omitempty"`
	// BaseVersion is the record's version when the suggestion was made
	// (set by the store; 0 for a new record), so a moderator can see
	// whether it has changed since.
	BaseVersion int64 `json:"base_version,omitempty"`
	// Proposed is the whole proposed record: for a correction, the
	// current record with the suggester's changes. Its ID and SourceID are
	// set by the store (ID "" for a new record until accepted).
	Proposed Feature `json:"proposed"`
	// Name is how the suggester wants to be credited in the history
	// (optional, public). Contact is how moderators can reach them
	// (optional, private: never shown outside moderation).
	Name    string `json:"name,omitempty"`
	Contact string `json:"contact,omitempty"`
	Note    string `json:"note,omitempty"`
	// Status is SuggestionPending, SuggestionAccepted or
	// SuggestionRejected; Reason is the moderator's reason for a
	// rejection.
	Status    string    `json:"status"`
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	// FeatureVersion is the version an accepted suggestion made; the
	// store also sets FeatureID then, to the id of an added record.
	FeatureVersion int64 `json:"feature_version,omitempty"`
	// ClientKey identifies the suggester's client for rate limiting: a
	// keyed hash of the client address made by the web layer, never the
	// raw address. Required.
	ClientKey string `json:"-"`
}

// Validate checks what a suggester sends: a valid source id, sizes of
// Name, Contact and Note, a ClientKey, and Proposed by Feature.Validate
// (with a placeholder id for a new record), its errors prefixed
// "proposed.". The error is CodeInvalid naming the field.
func (s Suggestion) Validate() error {
	if !ValidSlug(s.SourceID) {
		return Invalidf("source_id", "source id %q is not a valid slug", clip(s.SourceID))
	}
	if err := checkStrings(
		field{"feature_id", s.FeatureID, 200},
		field{"name", s.Name, MaxSuggestionContact},
		field{"contact", s.Contact, MaxSuggestionContact},
		field{"note", s.Note, MaxSuggestionNote},
		field{"client_key", s.ClientKey, 200},
	); err != nil {
		return err
	}
	if s.ClientKey == "" {
		return Invalidf("client_key", "is required")
	}
	p := s.Proposed
	p.SourceID = s.SourceID
	p.ID = s.FeatureID
	if p.ID == "" {
		p.ID = s.SourceID + ".new"
	}
	if err := p.Validate(); err != nil {
		return prefixField("proposed", err)
	}
	return nil
}

// Moderation is an optional Store capability: a queue of public
// suggestions per coops or features source. Common errors: CodeNotFound
// for a missing suggestion, source or record, CodeInvalid naming the
// field, and the store's or ctx's error.
type Moderation interface {
	// CreateSuggestion validates s (Suggestion.Validate), stores it as
	// pending and returns it with its ID, BaseVersion, CreatedAt and
	// Status set (Status, Reason and Decided* in s are ignored). Errors:
	// CodeNotFound for a missing source or for a FeatureID that is not a
	// live record of the source, CodeInvalid "source_id" for a tours
	// source, CodeTooLarge beyond MaxPendingPerSource or
	// MaxPendingPerClient.
	CreateSuggestion(ctx context.Context, s Suggestion) (Suggestion, error)
	// Suggestions returns a source's suggestions with the given status
	// ("" for all), oldest first, at most limit (1–MaxSuggestionsPage; 0
	// means MaxSuggestionsPage). Errors: CodeNotFound for a missing
	// source, CodeInvalid "status" or "limit".
	Suggestions(ctx context.Context, sourceID, status string, limit int) ([]Suggestion, error)
	// Suggestion returns one suggestion.
	Suggestion(ctx context.Context, id int64) (Suggestion, error)
	// AcceptSuggestion applies a pending suggestion — edited instead of
	// its Proposed when not nil — as a new version with Op OpSuggestion
	// and the note "suggested by <Name or anonymous> (suggestion <id>),
	// accepted by <c.By>" (then c.Note), and marks it accepted, in one
	// transaction. A correction is conflict-checked: ifVersion must be
	// the record's current version (*VersionConflict otherwise) and the
	// record must be live (CodeConflict); for a new record ifVersion is
	// ignored and an empty id is filled by NewFeatureID. Errors:
	// CodeConflict when the suggestion is no longer pending, CodeInvalid
	// for a bad edited record.
	AcceptSuggestion(ctx context.Context, id int64, edited *Feature, ifVersion int64, c Change) (Feature, Suggestion, error)
	// RejectSuggestion marks a pending suggestion rejected with a reason
	// (at most MaxSuggestionNote bytes). Errors: CodeConflict when it is
	// no longer pending, CodeInvalid "reason".
	RejectSuggestion(ctx context.Context, id int64, reason string, c Change) (Suggestion, error)
}

// NewFeatureID returns a fresh random record id in a source, as
// FeatureID(sourceID, <16 random hex digits>).
func NewFeatureID(sourceID string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return FeatureID(sourceID, hex.EncodeToString(b[:]))
}

// ChangedFields returns the top-level fields (JSON names; "geometry" for
// the location) whose values differ between two versions of a record, in
// a fixed order. With a nil prev it lists every field that is set in next.
// ID, Version and UpdatedAt are not compared.
func ChangedFields(prev *Feature, next Feature) []string {
	var zero Feature
	p := &zero
	if prev != nil {
		p = prev
	}
	out := []string{}
	for _, f := range []struct {
		name string
		a, b string
	}{
		{"source_id", p.SourceID, next.SourceID},
		{"name", p.Name, next.Name},
		{"sector", p.Sector, next.Sector},
		{"org_type", p.OrgType, next.OrgType},
		{"address", p.Address, next.Address},
		{"postcode", p.Postcode, next.Postcode},
		{"website", p.Website, next.Website},
		{"email", p.Email, next.Email},
		{"description", p.Description, next.Description},
		{"founded", p.Founded, next.Founded},
		{"status", p.Status, next.Status},
		{"precision", string(p.Precision), string(next.Precision)},
	} {
		if f.a != f.b {
			out = append(out, f.name)
		}
	}
	if !propertiesEqual(p.Properties, next.Properties) {
		out = append(out, "properties")
	}
	if !geometryEqual(p, &next) {
		out = append(out, "geometry")
	}
	return out
}

func propertiesEqual(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return maps.EqualFunc(a, b, func(x, y any) bool { return reflect.DeepEqual(x, y) })
}

// geometryEqual compares locations as Hash does: rounded to 1e-9°, so a
// database round trip is no change.
func geometryEqual(a, b *Feature) bool {
	if a.Geometry == nil || b.Geometry == nil {
		return a.Geometry == nil && b.Geometry == nil
	}
	return Feature{Geometry: a.Geometry}.Hash() == Feature{Geometry: b.Geometry}.Hash()
}

// RecordState is what a store knows of a record id when it starts a
// write; stores share its checks so that both report the same errors.
type RecordState struct {
	// Live: the record has a live row. Exists: it has a live row or a
	// history (a tombstone).
	Live, Exists bool
	// SourceID and Version are the live row's, or the newest revision's.
	SourceID string
	Version  int64
}

// Check returns the error of a write to record id based on ifVersion
// that needs the record live (wantLive) or deleted: CodeNotFound when it
// does not exist, *VersionConflict when ifVersion is stale, CodeConflict
// when it is deleted (or not deleted) though the write needs the
// opposite.
func (st RecordState) Check(id string, ifVersion int64, wantLive bool) error {
	switch {
	case !st.Exists:
		return NotFoundf("no record has id %q", id)
	case st.Version != ifVersion:
		return &VersionConflict{ID: id, Current: st.Version, Given: ifVersion, Deleted: !st.Live}
	case wantLive && !st.Live:
		return Errorf(CodeConflict, "record %q is deleted; restore it first", id)
	case !wantLive && st.Live:
		return Errorf(CodeConflict, "record %q is not deleted", id)
	}
	return nil
}

// CheckVersion returns a *VersionConflict for a write to the source or
// record id based on ifVersion when current is another version.
func CheckVersion(id string, current, ifVersion int64) error {
	if current != ifVersion {
		return &VersionConflict{ID: id, Current: current, Given: ifVersion}
	}
	return nil
}

// CheckNew returns the error of creating record id: CodeConflict when the
// id is taken by a live record or a deleted one's history.
func (st RecordState) CheckNew(id string) error {
	if st.Exists {
		return Errorf(CodeConflict, "a record with id %q already exists (or was deleted: restore it)", id)
	}
	return nil
}

// SameSource returns f for a write to the record st describes: an empty
// f.SourceID is filled from st, another one is refused (CodeInvalid
// "source_id": a record cannot move), and f is validated.
func (st RecordState) SameSource(f Feature) (Feature, error) {
	if f.SourceID == "" {
		f.SourceID = st.SourceID
	} else if f.SourceID != st.SourceID {
		return f, Invalidf("source_id", "record %q belongs to source %q; it cannot move", f.ID, st.SourceID)
	}
	return f, f.Validate()
}

// RevertTo returns the content a revert of the record st describes to
// version to writes: the live record (read by live) when to is its
// current version, otherwise the kept version (read by kept), then
// checked by SameSource. Errors are live's, kept's or SameSource's.
func (st RecordState) RevertTo(to int64, live func() (Feature, error), kept func(version int64) (Revision, error)) (Feature, error) {
	var f Feature
	if to == st.Version {
		l, err := live()
		if err != nil {
			return Feature{}, err
		}
		f = l
	} else {
		r, err := kept(to)
		if err != nil {
			return Feature{}, err
		}
		f = r.Feature
	}
	return st.SameSource(f)
}

// NewFeature prepares f for CreateFeature: an empty id gets NewFeatureID,
// then f is validated (CodeInvalid naming the field).
func NewFeature(f Feature) (Feature, error) {
	if f.ID == "" {
		f.ID = NewFeatureID(f.SourceID)
	}
	return f, f.Validate()
}

// UpdatedMeta returns src as Editor.UpdateSourceMeta stores it over old:
// a *VersionConflict when ifVersion is not old's version, an empty kind
// filled from old and another kind refused (CodeInvalid "kind"), and the
// result validated.
func UpdatedMeta(old, src Source, ifVersion int64) (Source, error) {
	if err := CheckVersion(src.ID, old.Version, ifVersion); err != nil {
		return Source{}, err
	}
	if src.Kind == "" {
		src.Kind = old.Kind
	} else if src.Kind != old.Kind {
		return Source{}, Invalidf("kind", "source %q holds %s; its kind cannot change", src.ID, old.Kind)
	}
	if err := src.Validate(); err != nil {
		return Source{}, err
	}
	return src, nil
}

// SuggestionsLimit checks the filters of Moderation.Suggestions: the
// status (CheckSuggestionStatus) and the limit, returned as ListLimit
// returns it.
func SuggestionsLimit(status string, limit int) (int, error) {
	if err := CheckSuggestionStatus(status); err != nil {
		return 0, err
	}
	return ListLimit(limit)
}

// ListLimit checks the limit of a moderation or history list: 0 means
// MaxSuggestionsPage; otherwise 1–MaxSuggestionsPage (CodeInvalid "limit").
func ListLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return MaxSuggestionsPage, nil
	case limit < 0 || limit > MaxSuggestionsPage:
		return 0, Invalidf("limit", "%d must be between 1 and %d", limit, MaxSuggestionsPage)
	}
	return limit, nil
}

// CheckSuggestionStatus checks a status filter: "" (all) or a known
// status (CodeInvalid "status").
func CheckSuggestionStatus(status string) error {
	switch status {
	case "", SuggestionPending, SuggestionAccepted, SuggestionRejected:
		return nil
	}
	return Invalidf("status", "%q must be pending, accepted or rejected", clip(status))
}

// Applied returns the record an acceptance writes: edited (when not nil)
// or s.Proposed, kept in s's source (CodeInvalid "source_id") and, for a
// correction, on s's record (CodeInvalid "id"); a new record without an id
// gets NewFeatureID. It is validated by Feature.Validate.
func (s Suggestion) Applied(edited *Feature) (Feature, error) {
	f := s.Proposed
	if edited != nil {
		f = *edited
	}
	if f.SourceID == "" {
		f.SourceID = s.SourceID
	} else if f.SourceID != s.SourceID {
		return Feature{}, Invalidf("source_id", "the suggestion is for source %q", s.SourceID)
	}
	switch {
	case s.FeatureID != "" && f.ID == "":
		f.ID = s.FeatureID
	case s.FeatureID != "" && f.ID != s.FeatureID:
		return Feature{}, Invalidf("id", "the suggestion corrects record %q", s.FeatureID)
	case f.ID == "":
		f.ID = NewFeatureID(s.SourceID)
	}
	f.Version, f.UpdatedAt = 0, time.Time{}
	return f, f.Validate()
}

// AcceptNote returns the history note of an accepted suggestion:
// "suggested by <Name or anonymous> (suggestion <ID>), accepted by <c.By>",
// then c.Note. It never includes the private Contact.
func (s Suggestion) AcceptNote(c Change) string {
	who := s.Name
	if who == "" {
		who = "anonymous"
	}
	n := fmt.Sprintf("suggested by %s (suggestion %d), accepted by %s", who, s.ID, c.By)
	if c.Note != "" {
		n += ": " + c.Note
	}
	return n
}

// AssembleHistory completes the kept revisions of a record (any order)
// into its history, newest first: live, the live row when there is one,
// is added as an import revision when no kept revision has its version
// (a live version made by an import is not copied into the history until
// it is superseded), and Fields is filled by ChangedFields against the
// next older kept revision. It returns nil when there is neither.
func AssembleHistory(live *Feature, kept []Revision) []Revision {
	revs := slices.Clone(kept)
	slices.SortFunc(revs, func(a, b Revision) int { return cmp.Compare(b.Version, a.Version) })
	if live != nil && (len(revs) == 0 || revs[0].Version < live.Version) {
		revs = slices.Insert(revs, 0, Revision{FeatureID: live.ID, Version: live.Version, At: live.UpdatedAt, Op: OpImport, Feature: *live})
	}
	for i := range revs {
		var prev *Feature
		if i+1 < len(revs) {
			prev = &revs[i+1].Feature
		}
		revs[i].Fields = ChangedFields(prev, revs[i].Feature)
	}
	return revs
}

// CheckSuggestionTarget checks that src, the stored source s names, takes
// suggestions: CodeInvalid "source_id" for a tours source.
func CheckSuggestionTarget(src Source, s Suggestion) error {
	if src.Kind == KindTours {
		return Invalidf("source_id", "source %q holds tours, not records", s.SourceID)
	}
	return nil
}

// CheckPending returns CodeTooLarge when a source already has
// MaxPendingPerSource pending suggestions or a client MaxPendingPerClient.
func CheckPending(perSource, perClient int) error {
	switch {
	case perSource >= MaxPendingPerSource:
		return Errorf(CodeTooLarge, "this source has %d suggestions waiting for moderation, the most it takes; try again later", perSource)
	case perClient >= MaxPendingPerClient:
		return Errorf(CodeTooLarge, "you have %d suggestions waiting for moderation, the most one client may have; try again later", perClient)
	}
	return nil
}

// CheckPending returns CodeConflict unless s is still pending.
func (s Suggestion) CheckPending() error {
	if s.Status != SuggestionPending {
		return Errorf(CodeConflict, "suggestion %d is already %s", s.ID, s.Status)
	}
	return nil
}

// CheckRejection validates a rejection: c by Change.Validate and a reason
// of at most MaxSuggestionNote bytes (CodeInvalid "reason").
func CheckRejection(reason string, c Change) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return checkStrings(field{"reason", reason, MaxSuggestionNote})
}

// EncodeProposed returns the JSON stores keep for s.Proposed: the record
// without its geometry (stored beside it), on s's source and record.
func EncodeProposed(s Suggestion) ([]byte, error) {
	p := s.Proposed
	p.ID, p.SourceID, p.Version, p.UpdatedAt = s.FeatureID, s.SourceID, 0, time.Time{}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, Invalidf("proposed", "cannot be encoded as JSON: %v", err)
	}
	return b, nil
}

// DecodeProposed reads what EncodeProposed made.
func DecodeProposed(b []byte) (Feature, error) {
	var f Feature
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("stored proposal: %w", err)
	}
	return f, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/coopmap/coopmap"
)

// importBatch is how many features importFeatures writes per statement.
//
// Per statement, modernc.org/sqlite prepares the SQL afresh (its prepared
// statements keep only the text), binds parameters in time quadratic in
// their number, and SQLite copies every page the statement touches into a
// statement journal. So batches are large, and each feature travels as one
// parameter: a JSON array that the statement unpacks with ->>. (One JSON
// array for the whole batch, through json_each, costs more: json_each
// turns every row back into text.)
const importBatch = 500

// Statements of the import. A row is a JSON array
// [fid|null, id, name, sector, org_type, address, postcode, website, email,
// description, founded, status, properties, precision, hash, search_text,
// geom as hex]; see appendFeatureRow. The rows follow as a VALUES list of
// one parameter each: head + "(?), (?), …" + tail.
const (
	// lookupFeatures finds which of a batch's ids are stored, and whether
	// this import has already seen them.
	lookupFeatures = `SELECT f.id, f.fid, f.source_id, f.hash, s.fid IS NOT NULL
		FROM features f LEFT JOIN temp.coopmap_seen s ON s.fid = f.fid
		WHERE f.id IN (SELECT value FROM json_each(?1))`
	// insertFeatures adds new features; the R*Tree triggers follow.
	// ?1 is the source id, ?2 the time. A record deleted before starts
	// again at the version after its tombstone (see edit.go).
	insertFeaturesHead = `INSERT OR ROLLBACK INTO features (id, source_id, version, name, sector, org_type,
		address, postcode, website, email, description, founded, status, properties, precision,
		updated_at, hash, search_text, geom)
		SELECT r->>1, ?1,
			coalesce((SELECT max(version) FROM feature_revisions WHERE feature_id = r->>1), 0) + 1, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, r->>8, r->>9, r->>10,
			r->>11, r->>12, r->>13, ?2, r->>14, r->>15, unhex(r->>16)
		FROM (SELECT column1 AS r FROM (VALUES `
	insertFeaturesTail = `))`
	// updateFeatures changes features in place; ?1 is the time. (Not an
	// upsert: its ON CONFLICT clause would override the INSERT OR REPLACE
	// of the R*Tree triggers.)
	updateFeaturesHead = `UPDATE features SET version = features.version + 1,
		name = v.r->>2, sector = v.r->>3, org_type = v.r->>4, address = v.r->>5,
		postcode = v.r->>6, website = v.r->>7, email = v.r->>8, description = v.r->>9,
		founded = v.r->>10, status = v.r->>11, properties = v.r->>12, precision = v.r->>13,
		updated_at = ?1, hash = v.r->>14, search_text = v.r->>15, geom = unhex(v.r->>16)
		FROM (SELECT column1 AS r FROM (VALUES `
	updateFeaturesTail = `)) AS v WHERE features.fid = v.r->>0`
	valuesRow          = `(?)`
	markSeen           = `INSERT INTO temp.coopmap_seen (fid) SELECT value FROM json_each(?1)`
	// recordImported keeps the live rows whose ids are in the JSON array
	// ?1 in the history at once, as the versions an attributed import
	// made, by ?2 with note ?3, as an edit does (see edit.go), since a
	// live row does not record who made it.
	recordImported = revisionInsert + `SELECT id, version, source_id, 'import', ?2, ?3, updated_at, 0, ` +
		revisionData + ` FROM features WHERE id IN (SELECT value FROM json_each(?1))`
)

// valuesList returns "(?), (?), …" for n rows.
func valuesList(n int) string {
	return valuesRow + strings.Repeat(", "+valuesRow, n-1)
}

// importFeatures writes the features of one source inside tx and removes
// the source's features that are not among them, counting into res, with
// every version it writes made by c (an empty By: nobody named, and
// nothing kept in the history until superseded). It stops at the first
// error: the iterator's, a feature's (its field prefixed "features[i]."),
// or the database's.
//
// Memory stays flat in the number of features: features are written in
// batches, features that already existed are marked by fid in a temporary
// table, and features inserted by this import are told apart by their fid,
// which AUTOINCREMENT makes greater than any fid before the import.
func importFeatures(ctx context.Context, tx *sql.Tx, sourceID string, features iter.Seq2[coopmap.Feature, error], now time.Time, c coopmap.Change, res *coopmap.ReplaceResult) error {
	const (
		seenTable  = `CREATE TEMP TABLE IF NOT EXISTS coopmap_seen (fid INTEGER PRIMARY KEY)`
		clearSeen  = `DELETE FROM temp.coopmap_seen`
		highestFid = `SELECT coalesce(max(fid), 0) FROM features`
		// The features of this source not in the import, and none it added.
		unseen       = `WHERE source_id = ?1 AND fid <= ?2 AND fid NOT IN (SELECT fid FROM temp.coopmap_seen)`
		removeUnseen = `DELETE FROM features ` + unseen
		// They are kept in the history, with a tombstone (see edit.go).
		archiveUnseen   = `INSERT OR IGNORE ` + revisionInto + archiveSelect + unseen
		tombstoneUnseen = revisionInsert + `SELECT id, version + 1, source_id, 'import', ?4, ?5, ?3, 1, ` +
			revisionData + ` FROM features ` + unseen
	)
	for _, q := range []string{seenTable, clearSeen} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("preparing the import: %w", err)
		}
	}
	im := importer{ctx: ctx, tx: tx, sourceID: sourceID, stamp: timeArg(now), change: c, res: res,
		inBatch: make(map[string]struct{}, importBatch)}
	if err := tx.QueryRowContext(ctx, highestFid).Scan(&im.before); err != nil {
		return fmt.Errorf("preparing the import: %w", err)
	}
	restore, err := suspendRTreeTrigger(ctx, tx)
	if err != nil {
		return err
	}
	i := 0
	for f, err := range features {
		if err != nil {
			// Report the first error: one may lie in the batch before it.
			if ferr := im.flush(); ferr != nil {
				return ferr
			}
			return fmt.Errorf("reading features[%d]: %w", i, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := im.add(i, f); err != nil {
			return err
		}
		i++
	}
	if err := im.flush(); err != nil {
		return err
	}
	if err := restore(im.before); err != nil {
		return err
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{archiveUnseen, []any{sourceID, im.before}},
		{tombstoneUnseen, []any{sourceID, im.before, im.stamp, textArg(c.By), textArg(c.Note)}},
	} {
		if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
			return fmt.Errorf("keeping features no longer in the source: %w", err)
		}
	}
	r, err := tx.ExecContext(ctx, removeUnseen, sourceID, im.before)
	if err != nil {
		return fmt.Errorf("removing features no longer in the source: %w", err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return fmt.Errorf("removing features no longer in the source: %w", err)
	}
	res.Removed = int(n)
	if _, err := tx.ExecContext(ctx, clearSeen); err != nil {
		return fmt.Errorf("finishing the import: %w", err)
	}
	return nil
}

// importer holds one batch of an import.
type importer struct {
	ctx      context.Context
	tx       *sql.Tx
	sourceID string
	before   int64 // the highest fid before the import
	stamp    any
	change   coopmap.Change // who the versions are by; By "" for nobody named
	res      *coopmap.ReplaceResult
	batch    []pendingFeature
	inBatch  map[string]struct{}
	buf      []byte // reused for the batch's JSON
}

// pendingFeature is a validated feature waiting for its batch.
type pendingFeature struct {
	i        int
	id, hash string
	row      string // the JSON row without its fid: `,"id",…]`
}

// add validates feature i and queues it, writing the batch when it is full.
// Before reporting an error it writes the batch, whose features come
// first and may hold an earlier error. A feature whose id is already in
// the batch also writes the batch first, so that the repeat is found in
// the database like any other.
func (im *importer) add(i int, f coopmap.Feature) error {
	if f.SourceID == "" {
		f.SourceID = im.sourceID
	} else if f.SourceID != im.sourceID {
		if err := im.flush(); err != nil {
			return err
		}
		return coopmap.Invalidf(fmt.Sprintf("features[%d].source_id", i), "is %q, but the import is into source %q", f.SourceID, im.sourceID)
	}
	if err := f.Validate(); err != nil {
		if ferr := im.flush(); ferr != nil {
			return ferr
		}
		return featureError(i, err)
	}
	if _, dup := im.inBatch[f.ID]; dup {
		if err := im.flush(); err != nil {
			return err
		}
	}
	hash := f.Hash()
	row, err := appendFeatureRow(nil, f, hash)
	if err != nil {
		return fmt.Errorf("features[%d]: %w", i, err)
	}
	im.batch = append(im.batch, pendingFeature{i: i, id: f.ID, hash: hash, row: string(row)})
	im.inBatch[f.ID] = struct{}{}
	if len(im.batch) >= importBatch {
		return im.flush()
	}
	return nil
}

// flush writes the batch: it looks its features up, sorts them into added,
// updated and unchanged, and writes the added and the updated ones with
// one statement each.
func (im *importer) flush() error {
	if len(im.batch) == 0 {
		return nil
	}
	defer func() {
		im.batch = im.batch[:0]
		clear(im.inBatch)
	}()
	span := fmt.Sprintf("features[%d…%d]", im.batch[0].i, im.batch[len(im.batch)-1].i)

	type stored struct {
		fid          int64
		source, hash string
		seen         bool
	}
	found := make(map[string]stored, len(im.batch))
	b := append(im.buf[:0], '[')
	for j, p := range im.batch {
		if j > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, p.id)
	}
	b = append(b, ']')
	rows, err := im.tx.QueryContext(im.ctx, lookupFeatures, string(b))
	if err != nil {
		return fmt.Errorf("looking up %s: %w", span, err)
	}
	for rows.Next() {
		var (
			id string
			s  stored
		)
		if err := rows.Scan(&id, &s.fid, &s.source, &s.hash, &s.seen); err != nil {
			rows.Close()
			return fmt.Errorf("looking up %s: %w", span, err)
		}
		found[id] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("looking up %s: %w", span, err)
	}

	res := *im.res
	var inserts, updates []any
	var seen, changed, written []byte
	for _, p := range im.batch {
		s, ok := found[p.id]
		switch {
		case !ok:
			res.Added++
			inserts = append(inserts, "[null"+p.row)
			written = im.attribute(written, p.id)
		case s.source != im.sourceID:
			return &coopmap.Error{Code: coopmap.CodeConflict, Field: fmt.Sprintf("features[%d].id", p.i),
				Message: fmt.Sprintf("feature id %q belongs to source %q", p.id, s.source)}
		case s.seen || s.fid > im.before:
			return coopmap.Invalidf(fmt.Sprintf("features[%d].id", p.i), "%q appears more than once in this import", p.id)
		case s.hash == p.hash:
			res.Unchanged++
			seen = appendFid(seen, s.fid)
		default:
			res.Updated++
			seen = appendFid(seen, s.fid)
			changed = appendFid(changed, s.fid)
			updates = append(updates, "["+strconv.FormatInt(s.fid, 10)+p.row)
			written = im.attribute(written, p.id)
		}
	}
	if len(inserts) > 0 {
		q := insertFeaturesHead + valuesList(len(inserts)) + insertFeaturesTail
		if _, err := im.tx.ExecContext(im.ctx, q, append([]any{im.sourceID, im.stamp}, inserts...)...); err != nil {
			return fmt.Errorf("inserting %s: %w", span, err)
		}
	}
	if len(updates) > 0 {
		// The versions about to be superseded go into the history.
		if _, err := im.tx.ExecContext(im.ctx, archiveFids, string(append(changed, ']'))); err != nil {
			return fmt.Errorf("keeping the versions of %s: %w", span, err)
		}
		q := updateFeaturesHead + valuesList(len(updates)) + updateFeaturesTail
		if _, err := im.tx.ExecContext(im.ctx, q, append([]any{im.stamp}, updates...)...); err != nil {
			return fmt.Errorf("updating %s: %w", span, err)
		}
	}
	if written != nil {
		if _, err := im.tx.ExecContext(im.ctx, recordImported, string(append(written, ']')),
			im.change.By, textArg(im.change.Note)); err != nil {
			return fmt.Errorf("recording the versions of %s: %w", span, err)
		}
	}
	if seen != nil {
		if _, err := im.tx.ExecContext(im.ctx, markSeen, string(append(seen, ']'))); err != nil {
			return fmt.Errorf("marking %s seen: %w", span, err)
		}
	}
	im.buf = b
	*im.res = res
	return nil
}

// attribute adds id, a record the batch writes, to the JSON array of ids
// being built in b when the import is attributed (see recordImported).
func (im *importer) attribute(b []byte, id string) []byte {
	if im.change.By == "" {
		return b
	}
	return appendJSONString(appendSep(b), id)
}

// appendFid adds a fid to a JSON array being built in b, opening it when b
// is nil.
func appendFid(b []byte, fid int64) []byte {
	return strconv.AppendInt(appendSep(b), fid, 10)
}

// appendSep starts the next element of a JSON array being built in b,
// opening the array when b is nil.
func appendSep(b []byte) []byte {
	if b == nil {
		return append(b, '[')
	}
	return append(b, ',')
}

// appendFeatureRow appends a feature's JSON row after the fid, from `,id`
// to `,geom]`, in the order the import statements read it. Absent text is
// null, so it is stored as NULL.
func appendFeatureRow(b []byte, f coopmap.Feature, hash string) ([]byte, error) {
	geom, err := encodeGeometry(f.Geometry)
	if err != nil {
		return nil, err
	}
	for _, s := range []string{f.ID, f.Name, f.Sector, f.OrgType, f.Address, f.Postcode, f.Website,
		f.Email, f.Description, f.Founded, f.Status} {
		b = append(b, ',')
		b = appendJSONText(b, s)
	}
	b = append(b, ',')
	if f.Properties != nil {
		props, err := json.Marshal(f.Properties)
		if err != nil {
			return nil, fmt.Errorf("encoding properties: %w", err)
		}
		b = appendJSONString(b, string(props))
	} else {
		b = append(b, "null"...)
	}
	for _, s := range []string{string(f.Precision), hash, f.SearchText()} {
		b = append(b, ',')
		b = appendJSONString(b, s)
	}
	b = append(b, ',')
	if geom == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = hex.AppendEncode(b, geom)
		b = append(b, '"')
	}
	return append(b, ']'), nil
}

// appendJSONText appends s as a JSON string, or null for "".
func appendJSONText(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}

// appendJSONString appends s as a JSON string. s is valid UTF-8 (Validate
// checked), so only quotes, backslashes and control characters need
// escaping.
func appendJSONString(b []byte, s string) []byte {
	const digits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', digits[c>>4], digits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// featureError returns a feature's validation error with its field
// prefixed by the feature's place in the import: "features[12].geometry".
func featureError(i int, err error) error {
	var e *coopmap.Error
	if !errors.As(err, &e) {
		return err
	}
	f := fmt.Sprintf("features[%d]", i)
	if e.Field != "" {
		f += "." + e.Field
	}
	return &coopmap.Error{Code: e.Code, Field: f, Message: e.Message}
}

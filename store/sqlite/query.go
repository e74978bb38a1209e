package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// Query fragments for Features. Each is fixed text with ? placeholders;
// only which fragments are joined depends on the query.
const (
	// rtreeBox tests the R*Tree entry r against one box, taking (maxX,
	// minX, maxY, minY) twice, and leaves "OR " open for the exact test
	// (exactBox on the feature row e) and two closing parentheses. The
	// R*Tree keeps float32 boxes rounded outwards, so it may offer a
	// feature up to one float32 step (< 2e-5°) outside the box. A candidate
	// more than 1e-4° inside every edge is certain; one nearer an edge is
	// checked exactly against its stored geometry.
	rtreeBox = `r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?
		AND ((r.minx <= ? - 1e-4 AND r.maxx >= ? + 1e-4 AND r.miny <= ? - 1e-4 AND r.maxy >= ? + 1e-4)
			OR `
	exactBox = `ST_MinX(e.geom) <= ? AND ST_MaxX(e.geom) >= ? AND ST_MinY(e.geom) <= ? AND ST_MaxY(e.geom) >= ?`
	// bboxMatch selects the features whose bounding box touches one box,
	// taking (maxX, minX, maxY, minY) three times.
	bboxMatch = `SELECT r.id FROM rtree_features_geom r WHERE ` + rtreeBox +
		`EXISTS (SELECT 1 FROM features e WHERE e.fid = r.id AND ` + exactBox + `))`
	// bboxRow is bboxMatch from the other side: whether the feature row e
	// touches the box, by looking up its own R*Tree entry. A feature
	// without a geometry has none, as bboxMatch never offers it.
	bboxRow = `EXISTS (SELECT 1 FROM rtree_features_geom r WHERE r.id = e.fid AND ` + rtreeBox + `(` + exactBox + `)))`

	whereAll      = `1 = 1`
	whereBBox     = ` AND fid IN (` + bboxMatch + `)`
	whereBBox2    = ` AND fid IN (` + bboxMatch + ` UNION ALL ` + bboxMatch + `)`
	whereBBoxRow  = ` AND ` + bboxRow
	whereBBoxRow2 = ` AND (` + bboxRow + ` OR ` + bboxRow + `)`
	whereSources  = ` AND source_id IN (?` // then ", ?" per further source and ")"
	whereSector   = ` AND sector = ?`
	whereOrgType  = ` AND org_type = ?`
	// With a bbox, the R*Tree finds the candidates: the unary + keeps
	// SQLite from walking a whole source (or sector) in its index instead
	// and probing each row against the candidate list, which for a large
	// source is thousands of times slower.
	whereSourcesBBox = ` AND +source_id IN (?`
	whereSectorBBox  = ` AND +sector = ?`
	whereOrgTypeBBox = ` AND +org_type = ?`
	whereStatus      = ` AND status = ?`
	whereUpdatedFrom = ` AND updated_at >= ?`
	whereUpdatedTo   = ` AND updated_at <= ?`
	whereText        = ` AND search_text LIKE '%' || ? || '%' ESCAPE '\'`

	countFeatures = `SELECT count(*) FROM features WHERE `
	// With only a bbox, the R*Tree counts alone: it has one row per
	// feature with a geometry. UNION, not UNION ALL: a feature as wide as
	// the world lies in both halves of a box across the antimeridian.
	countBBox    = `SELECT count(*) FROM (` + bboxMatch + `)`
	countBBox2   = `SELECT count(*) FROM (` + bboxMatch + ` UNION ` + bboxMatch + `)`
	pageFeatures = `SELECT ` + featureColumns + ` FROM features WHERE `
	// A walk reads one source's features in the order of the page from
	// the index made for it (migration 0007), named so SQLite cannot pick
	// another and sort; e is the row bboxRow tests.
	pageWalkName    = `SELECT ` + featureColumns + ` FROM features AS e INDEXED BY features_source_name WHERE `
	pageWalkUpdated = `SELECT ` + featureColumns + ` FROM features AS e INDEXED BY features_source_updated WHERE `

	// Sort keys other than the id, exactly as migration 0007 indexes
	// them. Names are stored NULL when empty; the contract orders an empty
	// name first, as the empty string.
	keyName    = `ifnull(name, '')`
	keyUpdated = `updated_at`
	// A bbox query sorts its candidates (few, found by the R*Tree); without
	// a bbox, walking an index in id order is cheapest. The unary + keeps
	// SQLite from choosing the id index for a bbox query, which would scan
	// every feature and probe the candidate list.
	keyID     = `id`
	keyIDSort = `+id`

	// sourceSize is the number of features in a source, for planning.
	sourceSize = `SELECT feature_count FROM sources WHERE id = ?`
	// rtreeCandidates counts the R*Tree's candidates in one box, (maxX,
	// minX, maxY, minY), up to a limit: whether a box holds a good share
	// of a source.
	rtreeCandidates = `SELECT count(*) FROM (SELECT 1 FROM rtree_features_geom r
		WHERE r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ? LIMIT ?)`
	// countWalk counts a box in one source by walking the source's id
	// index (which holds each row's fid) and looking up each feature's
	// R*Tree entry, with the filter of planWalk. Counting from the R*Tree
	// instead reads the row of every candidate to learn its source: for a
	// box with most of a large source, about three times slower.
	countWalk = `SELECT count(*) FROM features AS e INDEXED BY features_source_id WHERE `
)

// plan is how Features reads a page.
type plan int

const (
	// planIndex, without a bbox: SQLite picks an index on the filters or
	// on the order (migration 0007 orders one source by name or update).
	planIndex plan = iota
	// planRTree: the R*Tree finds the bbox's candidates; the matches are
	// sorted. Cheap while they are few.
	planRTree
	// planWalk, a bbox query of one source ordered by name or update:
	// walk the source in that order on its index, test each row against
	// the box, and stop when the page is full. Cheap while the box holds
	// a good share of the source.
	planWalk
)

// choosePlan picks how to read a page of q, which matched features in all,
// from a source of size features when q names one source. Sorting costs
// about as much per match as the walk does per row it tests, and the walk
// tests about (limit+1)·size/matched rows to fill a page (when the box
// and the order are unrelated, as a place and a name are), so it walks
// when matched² ≥ (limit+1)·size: at limit 50 on 200,000 features, from
// 3,200 matches up.
func choosePlan(q coopmap.Query, matched, size int) plan {
	switch {
	case q.BBox == nil:
		return planIndex
	case walkable(q) && size > 0 && matched > q.Limit && matched*matched >= (q.Limit+1)*size:
		return planWalk
	}
	return planRTree
}

// walkable reports whether an index of migration 0007 serves q's order: q
// names one source and sorts by name or update.
func walkable(q coopmap.Query) bool {
	return len(q.Sources) == 1 && (q.Sort.Field == coopmap.SortName || q.Sort.Field == coopmap.SortUpdated)
}

// featureFilter returns the WHERE clause and its arguments for a
// normalised query read by plan p, without the cursor.
func featureFilter(q coopmap.Query, p plan) (string, []any) {
	var (
		w    strings.Builder
		args []any
	)
	w.WriteString(whereAll)
	if q.BBox != nil {
		bounds := q.BBox.Bounds()
		switch {
		case p == planWalk && len(bounds) == 1:
			w.WriteString(whereBBoxRow)
		case p == planWalk:
			w.WriteString(whereBBoxRow2)
		case len(bounds) == 1:
			w.WriteString(whereBBox)
		default:
			w.WriteString(whereBBox2)
		}
		for _, b := range bounds {
			for range 3 {
				args = append(args, b.Max[0], b.Min[0], b.Max[1], b.Min[1])
			}
		}
	}
	// A walk names its index, so only planRTree needs the unary +.
	sources, sector, orgType := whereSources, whereSector, whereOrgType
	if p == planRTree {
		sources, sector, orgType = whereSourcesBBox, whereSectorBBox, whereOrgTypeBBox
	}
	if len(q.Sources) > 0 {
		w.WriteString(sources)
		w.WriteString(strings.Repeat(", ?", len(q.Sources)-1))
		w.WriteString(")")
		for _, s := range q.Sources {
			args = append(args, s)
		}
	}
	for _, c := range []struct {
		sql string
		v   any
		set bool
	}{
		{sector, q.Sector, q.Sector != ""},
		{orgType, q.OrgType, q.OrgType != ""},
		{whereStatus, q.Status, q.Status != ""},
		{whereUpdatedFrom, timeArg(q.Updated.From), !q.Updated.From.IsZero()},
		{whereUpdatedTo, timeArg(q.Updated.To), !q.Updated.To.IsZero()},
		{whereText, coopmap.EscapeLike(q.Text), q.Text != ""},
	} {
		if c.set {
			w.WriteString(c.sql)
			args = append(args, c.v)
		}
	}
	return w.String(), args
}

// keyset returns the condition that starts a page after (or before) pos,
// its arguments, and the ORDER BY … LIMIT ? clause. Every piece is fixed
// text: the sort field only picks which.
func keyset(q coopmap.Query, pos coopmap.Position, p plan) (cond string, args []any, order string) {
	cmp, dir := ">", ""
	if q.Descending(pos) {
		cmp, dir = "<", " DESC"
	}
	var (
		key string
		val any
	)
	switch q.Sort.Field {
	case coopmap.SortName:
		key, val = keyName, pos.Name
	case coopmap.SortUpdated:
		key, val = keyUpdated, timeArg(pos.Updated)
	default:
		id := keyID
		if p == planRTree {
			id = keyIDSort
		}
		if !pos.IsZero() {
			cond, args = ` AND id `+cmp+` ?`, []any{pos.ID}
		}
		return cond, args, ` ORDER BY ` + id + dir + ` LIMIT ?`
	}
	if !pos.IsZero() {
		// key > ? OR (key = ? AND id > ?), written so that SQLite seeks
		// to the first key on the index (it does not for the row value
		// (key, id) > (?, ?) on an indexed expression) and skips only the
		// rows that share the position's key.
		cond = ` AND ` + key + ` ` + cmp + `= ? AND (` + key + ` ` + cmp + ` ? OR id ` + cmp + ` ?)`
		args = []any{val, val, pos.ID}
	}
	return cond, args, ` ORDER BY ` + key + dir + `, id` + dir + ` LIMIT ?`
}

// pageQuery returns the statement and arguments that read up to
// q.Limit+1 features of q after pos by plan p.
func pageQuery(q coopmap.Query, pos coopmap.Position, p plan) (string, []any) {
	where, args := featureFilter(q, p)
	cond, kargs, order := keyset(q, pos, p)
	sel := pageFeatures
	if p == planWalk {
		sel = pageWalkName
		if q.Sort.Field == coopmap.SortUpdated {
			sel = pageWalkUpdated
		}
	}
	return sel + where + cond + order, append(append(args, kargs...), q.Limit+1)
}

// Features returns one page of the features matching q, in q's order,
// with the exact number matched; the count and the page come from one
// snapshot. The error is q's validation error (CodeInvalid naming the
// field), the database's, or ctx's.
func (s *Store) Features(ctx context.Context, q coopmap.Query) (coopmap.Page, error) {
	q, pos, err := q.Normalize()
	if err != nil {
		return coopmap.Page{}, err
	}
	p := choosePlan(q, 0, 0)
	where, args := featureFilter(q, p)
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return coopmap.Page{}, dbError(ctx, "query features", err)
	}
	defer tx.Rollback()

	var size, matched int
	if q.BBox != nil && len(q.Sources) == 1 {
		if err := tx.QueryRowContext(ctx, sourceSize, q.Sources[0]).Scan(&size); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return coopmap.Page{}, dbError(ctx, "plan features", err)
		}
	}
	count := countFeatures + where
	switch {
	case q.BBox != nil && len(q.Sources) == 0 && q.Sector == "" && q.OrgType == "" && q.Status == "" && q.Updated.IsZero() && q.Text == "":
		count = countBBox
		if q.BBox.CrossesAntimeridian() {
			count = countBBox2
		}
	case size > 0 && !q.BBox.CrossesAntimeridian():
		// A third of the source or more in the box: walking the source
		// beats reading each candidate's row.
		b, third, n := q.BBox.Bounds()[0], size/3, 0
		if err := tx.QueryRowContext(ctx, rtreeCandidates, b.Max[0], b.Min[0], b.Max[1], b.Min[1], third+1).Scan(&n); err != nil {
			return coopmap.Page{}, dbError(ctx, "plan features", err)
		}
		if n > third {
			// Same arguments in the same order: only the text differs.
			w, _ := featureFilter(q, planWalk)
			count = countWalk + w
		}
	}
	if err := tx.QueryRowContext(ctx, count, args...).Scan(&matched); err != nil {
		return coopmap.Page{}, dbError(ctx, "count features", err)
	}
	if matched == 0 {
		return q.Finish(nil, pos, 0), nil
	}
	if q.BBox != nil && walkable(q) {
		p = choosePlan(q, matched, size)
	}
	stmt, args := pageQuery(q, pos, p)
	rows, err := tx.QueryContext(ctx, stmt, args...)
	if err != nil {
		return coopmap.Page{}, dbError(ctx, "query features", err)
	}
	fs, err := collectRows(rows, scanFeature)
	if err != nil {
		return coopmap.Page{}, dbError(ctx, "query features", err)
	}
	return q.Finish(fs, pos, matched), nil
}

var _ coopmap.ExtentReader = (*Store)(nil)

// The extent of a source. The box comes from the R*Tree, whose float32
// boxes are rounded outwards: it may be up to 2e-5° larger than exact,
// never smaller. The unary + makes SQLite scan the R*Tree once and probe
// the source's ids, rather than look up each id in the R*Tree, which reads
// a node per feature and is several times slower.
const (
	sourceBoundsSQL = `SELECT min(r.minx), min(r.miny), max(r.maxx), max(r.maxy)
	FROM rtree_features_geom r WHERE +r.id IN (SELECT fid FROM features WHERE source_id = ?)`
	sourceUpdatedSQL = `SELECT min(updated_at), max(updated_at) FROM features WHERE source_id = ?`
)

// SourceExtent returns the bounding box and update-time range of a
// source's features. The error has CodeNotFound for a missing source;
// otherwise it is the database's or ctx's.
func (s *Store) SourceExtent(ctx context.Context, sourceID string) (coopmap.Extent, error) {
	op := "extent of source " + sourceID
	tx, err := s.readSource(ctx, op, sourceID)
	if err != nil {
		return coopmap.Extent{}, err
	}
	defer tx.Rollback()
	var (
		minX, minY, maxX, maxY sql.NullFloat64
		e                      coopmap.Extent
	)
	err = tx.QueryRowContext(ctx, sourceBoundsSQL, sourceID).Scan(&minX, &minY, &maxX, &maxY)
	if err == nil {
		err = tx.QueryRowContext(ctx, sourceUpdatedSQL, sourceID).Scan(timeCol{&e.Updated.From}, timeCol{&e.Updated.To})
	}
	if err != nil {
		return coopmap.Extent{}, dbError(ctx, op, err)
	}
	if minX.Valid {
		// Clamped: the outward rounding may step past ±180 or ±90.
		b := geo.BBox{MinLon: max(minX.Float64, -180), MinLat: max(minY.Float64, -90), MaxLon: min(maxX.Float64, 180), MaxLat: min(maxY.Float64, 90)}
		e.BBox = &b
	}
	return e, nil
}

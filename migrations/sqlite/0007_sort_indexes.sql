-- 0007: indexes that walk one source's features in the list orders
-- sortby=name and sortby=updated (either direction), ties by id, so a page
-- of a large source comes from the first rows of an index instead of a sort
-- of the whole source. The key expressions are exactly the ORDER BY keys of
-- store/sqlite/query.go (keyName, keyUpdated): an empty name is stored NULL
-- and sorts first, as ''. A bbox query over many features of one source
-- walks them too, testing each row against the R*Tree, and stops at the
-- page's end. IF NOT EXISTS: a test re-runs the migrations from 0006 on a
-- file that has them.

CREATE INDEX IF NOT EXISTS features_source_name ON features (source_id, ifnull(name, ''), id);
CREATE INDEX IF NOT EXISTS features_source_updated ON features (source_id, updated_at, id);

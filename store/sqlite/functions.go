package sqlite

import (
	"database/sql/driver"
	"fmt"
	"sync"

	"github.com/paulmach/orb"
	"modernc.org/sqlite"
)

// The GeoPackage R*Tree triggers (migrations/sqlite/0002_coopmap.sql) call
// ST_IsEmpty, ST_MinX, ST_MaxX, ST_MinY and ST_MaxY on every write of a
// geometry, so every connection that writes must have them. The store's
// queries use them too, to check candidates from the R*Tree exactly.
//
// modernc.org/sqlite registers functions only on its one process-wide
// driver, for every connection opened afterwards; it has no per-connection
// registration. So this is the one piece of package-level mutable state
// coopmap allows: a sync.Once that registers the five functions the first
// time a store is opened, and remembers whether that worked. The functions
// are pure and deterministic, so sharing them across stores (and with any
// other user of the driver in the process) is harmless.
var (
	registerOnce sync.Once
	registerErr  error
)

// registerFunctions registers the GeoPackage SQL functions with the driver,
// once per process. It fails if another package already registered a
// function of the same name.
func registerFunctions() error {
	registerOnce.Do(func() {
		for _, f := range []struct {
			name string
			fn   func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error)
		}{
			{"ST_IsEmpty", stIsEmpty},
			{"ST_MinX", boundFunc("ST_MinX", func(b orb.Bound) float64 { return b.Min[0] })},
			{"ST_MaxX", boundFunc("ST_MaxX", func(b orb.Bound) float64 { return b.Max[0] })},
			{"ST_MinY", boundFunc("ST_MinY", func(b orb.Bound) float64 { return b.Min[1] })},
			{"ST_MaxY", boundFunc("ST_MaxY", func(b orb.Bound) float64 { return b.Max[1] })},
		} {
			if err := sqlite.RegisterDeterministicScalarFunction(f.name, 1, f.fn); err != nil {
				registerErr = fmt.Errorf("sqlite: registering SQL function %s: %w", f.name, err)
				return
			}
		}
	})
	return registerErr
}

// blobArg returns the one argument as a blob, or nil for SQL NULL.
func blobArg(name string, args []driver.Value) ([]byte, error) {
	switch v := args[0].(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	default:
		return nil, fmt.Errorf("%s: argument is %T, not a GeoPackage geometry blob", name, v)
	}
}

// stIsEmpty is ST_IsEmpty(geom): 1 for an empty geometry, 0 otherwise,
// NULL for NULL.
func stIsEmpty(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	b, err := blobArg("ST_IsEmpty", args)
	if b == nil || err != nil {
		return nil, err
	}
	_, empty, err := geometryBound(b)
	if err != nil {
		return nil, fmt.Errorf("ST_IsEmpty: %w", err)
	}
	if empty {
		return int64(1), nil
	}
	return int64(0), nil
}

// boundFunc makes ST_MinX and friends: one number of the geometry's
// bounding box, NULL for NULL or an empty geometry.
func boundFunc(name string, pick func(orb.Bound) float64) func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
	return func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		b, err := blobArg(name, args)
		if b == nil || err != nil {
			return nil, err
		}
		bd, empty, err := geometryBound(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if empty {
			return nil, nil
		}
		return pick(bd), nil
	}
}

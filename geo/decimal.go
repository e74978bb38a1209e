package geo

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// ParseDecimal reads s as a finite decimal number, the one form in which
// coopmap takes coordinates from query strings and command lines
// ("-0.1195", "51.6", "5e-1"). strconv.ParseFloat also accepts
// hexadecimal floats ("0x1p3"), digit separators ("0x1_0p0"), "NaN" and
// "Inf"; those, numbers too large for a float64 ("1e999") and anything
// else that is not a number are an error, which does not quote s (the
// caller names the parameter and quotes it as it sees fit). Spaces are
// not trimmed; callers that allow them trim first.
func ParseDecimal(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || strings.ContainsAny(s, "xXpP_") {
		return 0, errors.New("not a finite decimal number")
	}
	return f, nil
}

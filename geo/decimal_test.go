package geo

import "testing"

// TestParseDecimal checks that ParseDecimal takes the decimal forms and
// refuses what strconv.ParseFloat would also take: hex floats, digit
// separators, NaN and infinities.
func TestParseDecimal(t *testing.T) {
	for _, s := range []string{"0", "-0.1195", "51.6072", "+1", "5e-1", "1E2", ".5", "180", "-90"} {
		if _, err := ParseDecimal(s); err != nil {
			t.Errorf("ParseDecimal(%q) = %v; want a number", s, err)
		}
	}
	if f, _ := ParseDecimal("-0.1195"); f != -0.1195 {
		t.Errorf("ParseDecimal(-0.1195) = %v", f)
	}
	for _, s := range []string{"", " 1", "0x1p3", "0X1P-2", "0x10", "0x1_0p0", "1_000", "NaN", "nan", "Inf", "-Infinity",
		"1e999", "-1e400", "1,5", "abc", "1e", "--1"} {
		if f, err := ParseDecimal(s); err == nil {
			t.Errorf("ParseDecimal(%q) = %v; want an error", s, f)
		}
	}
}

package importers

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Problem is one record left out of an import (in Report.Problems) or one
// value dropped from a record that was kept (in Report.Notes).
type Problem struct {
	// Where locates the record: "coops.csv:123", "places.geojson: features[17]".
	Where string `json:"where"`
	// Field names the field at fault, when one is ("geometry", "website").
	Field string `json:"field,omitempty"`
	// Reason says what is wrong, for people.
	Reason string `json:"reason"`
}

// String returns "where: field: reason", leaving out what is empty.
func (p Problem) String() string {
	var parts []string
	for _, s := range []string{p.Where, p.Field, p.Reason} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ": ")
}

// FileReport is what an import made of one input.
type FileReport struct {
	Name string `json:"name"`
	// Format is the format the input was read as.
	Format string `json:"format"`
	// Compression is "gzip" or "bzip2" when the input was compressed.
	Compression string `json:"compression,omitempty"`
	// Bytes is the number of bytes read from the input as given.
	Bytes int64 `json:"bytes"`
	// Read counts records found; Imported those passed on to the store
	// (or, in a dry run, that would be); Skipped those left out.
	Read     int `json:"read"`
	Imported int `json:"imported"`
	Skipped  int `json:"skipped"`
}

// Report is the outcome of an import, fit to print (Summary) or to save
// as JSON. It is filled in as far as the import got, also when it failed.
type Report struct {
	// Source is the id of the source imported into.
	Source string       `json:"source"`
	DryRun bool         `json:"dry_run"`
	Strict bool         `json:"strict"`
	Files  []FileReport `json:"files"`
	// Read, Imported and Skipped add up the files' counts: every record
	// read is either imported or skipped, and each skipped record has one
	// problem.
	Read     int `json:"read"`
	Imported int `json:"imported"`
	Skipped  int `json:"skipped"`
	// Added, Updated, Unchanged and Removed say what the import did to
	// the source's features (in a dry run, what it would do), comparing
	// content as coopmap.Feature.Hash does.
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Removed   int `json:"removed"`
	// Problems are the first MaxProblems problems (Skipped has the total).
	Problems []Problem `json:"problems"`
	// Notes are the first MaxProblems notes: values dropped from records
	// that were imported all the same. NoteCount has the total.
	Notes     []Problem `json:"notes"`
	NoteCount int       `json:"note_count"`
	// Written reports whether the store was changed: false for a dry run,
	// a failed import, or an import identical to what was stored.
	Written  bool          `json:"written"`
	Duration time.Duration `json:"-"`
	// Error is the reason a failed import failed; "" on success.
	Error string `json:"error,omitempty"`
}

// MarshalJSON adds the duration in seconds and the summary line.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		plain
		DurationS float64 `json:"duration_s"`
		Summary   string  `json:"summary"`
	}{plain(r), r.Duration.Seconds(), r.Summary()})
}

// Summary returns the report in one line, for example
//
//	coops-uk: 7,387 read, 7,097 imported, 290 skipped; 7,097 added, 0 updated, 0 unchanged, 0 removed (1.2s)
//
// A dry run says "(dry run, nothing written)" after the source; a failed
// import says it failed, why, that nothing was written, and how far it
// got.
func (r Report) Summary() string {
	name := r.Source
	if r.DryRun {
		name += " (dry run, nothing written)"
	}
	if r.Error != "" {
		return fmt.Sprintf("%s: import failed, nothing written: %s (after %s records read; %s)", r.Source, r.Error, Thousands(r.Read), roundDuration(r.Duration))
	}
	counts := fmt.Sprintf("%s read, %s imported, %s skipped", Thousands(r.Read), Thousands(r.Imported), Thousands(r.Skipped))
	return fmt.Sprintf("%s: %s; %s added, %s updated, %s unchanged, %s removed (%s)", name, counts,
		Thousands(r.Added), Thousands(r.Updated), Thousands(r.Unchanged), Thousands(r.Removed), roundDuration(r.Duration))
}

// Thousands formats n with commas between groups of three digits.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	default:
		return d.Round(time.Millisecond)
	}
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
)

// importTourCommand runs "coopmap import --as-tour": one input becomes
// one tour. It prints each stop and what it was matched with on stderr
// and the summary on stdout.
func importTourCommand(ctx context.Context, st coopmap.Store, ic *importConfig, src coopmap.Source, inputs []importers.Input, fm importers.Formats, stdout, stderr io.Writer) error {
	if len(inputs) != 1 {
		return fmt.Errorf("--as-tour takes one file, not %d", len(inputs))
	}
	in := inputs[0]
	br := bufio.NewReaderSize(in.Reader, importers.SniffSize)
	head, _ := br.Peek(importers.SniffSize)
	format := ic.Format
	if format == "" || format == "auto" {
		format = importers.Detect(head, in.Name)
	}
	parser := fm[format]
	if parser == nil {
		return coopmap.Invalidf("format", "%s: not a format coopmap reads; name one with --format", in.Name)
	}
	in.Reader = br
	opts := importers.TourOptions{
		Source:        src,
		TourID:        ic.TourID,
		Title:         ic.TourTitle,
		Parser:        parser,
		MatchDistance: ic.MatchDistance,
		DryRun:        ic.DryRun,
	}
	if ic.MatchSources != "" {
		opts.MatchSources = strings.Split(ic.MatchSources, ",")
	}
	rep, err := importers.ImportTour(ctx, st, opts, in)
	for i, s := range rep.Stops {
		if i == ic.MaxShown {
			fmt.Fprintf(stderr, "… %d more stops\n", len(rep.Stops)-i)
			break
		}
		if s.FeatureID != "" {
			fmt.Fprintf(stderr, "stop %d: %s: %q matched %s %q, %.0f m away\n", i+1, s.Where, s.Name, s.FeatureID, s.FeatureName, s.DistanceM)
		} else {
			fmt.Fprintf(stderr, "stop %d: %s: %q (no co-op record matched; kept as a named point)\n", i+1, s.Where, s.Name)
		}
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(stderr, "left out: %s\n", p)
	}
	fmt.Fprintln(stdout, rep.Summary())
	if ic.Report != "" {
		if werr := writeReport(ic.Report, rep); werr != nil && err == nil {
			err = werr
		}
	}
	return flagHint(err)
}

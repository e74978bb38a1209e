package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/route"
	"github.com/coopmap/coopmap/tours"
)

const tourUsage = `Usage:
  coopmap tour create --graph FILE.graph --id ID --title TITLE --stops "STOP;STOP;…" [flags]
  coopmap tour update --graph FILE.graph --id ID [--stops "STOP;…"] [flags]
  coopmap tour list   [--source SLUG]
  coopmap tour delete --id ID

create plans a tour and stores it; update re-plans an existing one, keeping
what its flags do not change (without --stops it re-routes the stops it
has, so a moved record or a rebuilt graph shows). A STOP is a record id
(coops-uk.R035956), which makes the stop a reference to that co-op, or
name@lon,lat for a named point. The legs are routed on the graph with the
bike profile, in the order given or, with --order optimize, the quickest
(exact up to %d stops); a tour has at most %d stops. Tours go in a tours
source licensed ODbL-1.0 (the routes derive from OpenStreetMap), created
when missing.

Flags:
`

// tourConfig is what the tour command is told beyond Config.
type tourConfig struct {
	Graph, Source, ID          string
	Title, Region, Description string
	Stops, Order, End          string
	Replace                    bool
	MaxSnap                    float64
	Timeout                    time.Duration
	set                        map[string]bool
}

// tourCommand runs "coopmap tour SUBCOMMAND".
func tourCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "create", "update", "list", "delete":
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, tourUsage, route.MaxExactOrder, tours.MaxStops)
		return flag.ErrHelp
	default:
		fmt.Fprintf(stderr, tourUsage, route.MaxExactOrder, tours.MaxStops)
		return errUsage
	}
	var c Config
	var tc tourConfig
	fs := newFlagSet("tour "+sub, stderr, getenv, &c)
	fs.Usage = func() { fmt.Fprintf(fs.Output(), tourUsage, route.MaxExactOrder, tours.MaxStops); fs.PrintDefaults() }
	fs.DurationVar(&tc.Timeout, "timeout", 2*time.Minute, "give up after this long")
	switch sub {
	case "list":
		fs.StringVar(&tc.Source, "source", "", "list only this source's tours")
	case "delete":
		fs.StringVar(&tc.ID, "id", "", "the tour's id (required)")
	default:
		fs.StringVar(&tc.Graph, "graph", getenv("COOPMAP_GRAPH"), "bike routing graph file, built with coopmap graph build (required; env COOPMAP_GRAPH)")
		fs.StringVar(&tc.Source, "source", "", "tours source (slug), created when missing (create: default tours; update: the tour's)")
		fs.StringVar(&tc.ID, "id", "", "the tour's id, a slug such as north-london (required)")
		fs.StringVar(&tc.Title, "title", "", "the tour's title (required for create)")
		fs.StringVar(&tc.Region, "region", "", `the tour's region, such as "North London"`)
		fs.StringVar(&tc.Description, "description", "", "the tour's description")
		fs.StringVar(&tc.Stops, "stops", "", `the stops: "record-id;name@lon,lat;…" (required for create)`)
		fs.StringVar(&tc.Order, "order", "keep", "keep the stops' order, or optimize it for the quickest ride (first stop stays the start)")
		fs.StringVar(&tc.End, "end", "fixed", "with --order optimize: fixed keeps the last stop last, free ends anywhere")
		fs.Float64Var(&tc.MaxSnap, "max-snap", route.DefaultMaxSnap, "furthest a stop may be from a way a bike may use, in metres")
		if sub == "create" {
			fs.BoolVar(&tc.Replace, "replace", false, "replace the tour when it exists (nothing is written when the plan is unchanged)")
		}
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	tc.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { tc.set[f.Name] = true })
	if sub != "list" && tc.ID == "" {
		fmt.Fprintf(stderr, "coopmap tour %s: --id is required\n", sub)
		return errUsage
	}
	log, err := newLogger(stderr, c.LogFormat, c.LogLevel)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, tc.Timeout)
	defer cancel()
	st, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Ping(ctx); err != nil {
		return err
	}
	switch sub {
	case "list":
		return listTours(ctx, st, tc.Source, stdout)
	case "delete":
		if err := st.DeleteTour(ctx, tc.ID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "tour %s: deleted\n", tc.ID)
		return nil
	}
	err = planTour(ctx, st, sub, tc, stdout)
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("gave up after --timeout %s", tc.Timeout)
	}
	return tourFlagHint(err)
}

// planTour runs create and update: read the stops, route them, store the
// tour, and print what was stored.
func planTour(ctx context.Context, st coopmap.Store, sub string, tc tourConfig, stdout io.Writer) error {
	var opts tours.Options
	switch tc.Order {
	case "keep":
	case "optimize", "optimise":
		opts.Optimize = true
	default:
		return coopmap.Invalidf("order", "%q is not keep or optimize", tc.Order)
	}
	switch tc.End {
	case "fixed":
	case "free":
		opts.FreeEnd = true
	default:
		return coopmap.Invalidf("end", "%q is not fixed or free", tc.End)
	}
	opts.MaxSnap = tc.MaxSnap
	if tc.MaxSnap <= 0 || tc.MaxSnap > 10*route.DefaultMaxSnap {
		return coopmap.Invalidf("max-snap", "%g m: want more than 0 and at most %g", tc.MaxSnap, 10*route.DefaultMaxSnap)
	}
	if tc.Graph == "" {
		return coopmap.Invalidf("graph", "is required: the routing graph file, built with coopmap graph build EXTRACT -o FILE.graph")
	}

	t := coopmap.Tour{ID: tc.ID, SourceID: tc.Source, Title: tc.Title, Region: tc.Region, Description: tc.Description}
	mode := tours.SaveCreate
	switch {
	case sub == "update":
		mode = tours.SaveUpdate
		old, err := st.Tour(ctx, tc.ID)
		if err != nil {
			return err
		}
		if tc.Source != "" && tc.Source != old.SourceID {
			return coopmap.Invalidf("source", "tour %q belongs to source %q; a tour stays in its source (delete it and create it anew to move it)", tc.ID, old.SourceID)
		}
		t = old
		if tc.set["title"] {
			t.Title = tc.Title
		}
		if tc.set["region"] {
			t.Region = tc.Region
		}
		if tc.set["description"] {
			t.Description = tc.Description
		}
	case tc.Replace:
		mode = tours.SaveReplace
	}
	if t.SourceID == "" {
		t.SourceID = "tours"
	}
	if t.Title == "" {
		return coopmap.Invalidf("title", "is required")
	}
	if tc.Stops != "" || sub == "create" {
		stops, err := tours.ParseStops(ctx, st, tc.Stops)
		if err != nil {
			return err
		}
		t.Stops = stops
	}
	if err := t.Validate(); err != nil && coopmap.ErrorField(err) != "stops" {
		return err // the tour's own fields; Plan checks the stops
	}
	g, err := route.LoadFile(tc.Graph)
	if err != nil {
		return fmt.Errorf("--graph: %w", err)
	}
	p, err := tours.Plan(ctx, g, st, t, opts)
	if err != nil {
		return err
	}
	src, err := tours.EnsureSource(ctx, st, p.Tour.SourceID)
	if err != nil {
		return err
	}
	saved, action, err := tours.Save(ctx, st, p.Tour, mode)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "tour %s: %s (version %d) in source %s (%s): %d stops, %.1f km, about %s by bike\n",
		saved.ID, action, saved.Version, src.ID, src.Licence.ID, len(p.Tour.Stops), p.Tour.DistanceM/1000, rideTime(p.DurationS))
	for i, s := range p.Tour.Stops {
		ref := "named point"
		if s.FeatureID != "" {
			ref = s.FeatureID
		}
		leg := ""
		if i > 0 {
			l := p.Tour.Legs[i-1]
			leg = fmt.Sprintf(", %.1f km from the last stop", l.DistanceM/1000)
		}
		fmt.Fprintf(stdout, "  %d. %s (%s), %.0f m from the road%s\n", i+1, s.Name, ref, p.SnapM[i], leg)
	}
	return nil
}

// rideTime formats seconds as "1 h 05 min" or "25 min".
func rideTime(s float64) string {
	m := int(s/60 + 0.5)
	if m < 60 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d h %02d min", m/60, m%60)
}

// listTours prints the tours as a table.
func listTours(ctx context.Context, st coopmap.Store, source string, stdout io.Writer) error {
	ts, err := st.Tours(ctx, source)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSOURCE\tTITLE\tREGION\tSTOPS\tKM\tVERSION")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%.1f\t%d\n", t.ID, t.SourceID, t.Title, t.Region, len(t.Stops), t.DistanceM/1000, t.Version)
	}
	return tw.Flush()
}

// tourFlagHint names the flag behind an error's field.
func tourFlagHint(err error) error {
	switch f := coopmap.ErrorField(err); {
	case strings.HasPrefix(f, "stops"):
		return fmt.Errorf("--stops: %w", err)
	case f == "source_id" || f == "source":
		return fmt.Errorf("--source: %w", err)
	case f == "id" || f == "title" || f == "region" || f == "description" || f == "graph" || f == "order" || f == "end" || f == "max-snap":
		return fmt.Errorf("--%s: %w", f, err)
	}
	return err
}

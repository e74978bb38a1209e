package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Step is one rate of a steps run.
type Step struct {
	Rate   float64 `json:"rate"`
	Result Result  `json:"result"`
	// Over is why this rate is past the knee ("" when it is not).
	Over string `json:"over,omitempty"`
}

// Steps is the result of a steps run: every rate tried and the knee, the
// highest rate tried that met the criteria before the first that did not
// (0: even the first missed; -1: none missed).
type Steps struct {
	MaxP99 float64 `json:"max_p99_ms"`
	Steps  []Step  `json:"steps"`
	Knee   float64 `json:"knee_rps"`
	// KneeOver is the first rate that missed (0 when none did).
	KneeOver float64 `json:"first_over_rps"`
}

// stepsCommand raises the rate step by step and reports the knee: the
// last rate at which p99 stayed within -max-p99, there were no errors
// (transport or 5xx) and the server kept up (achieved at least 95% of the
// rate). It stops after -past steps over the knee.
func stepsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("steps", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mk := loadFlags(fs)
	rates := fs.String("rates", "50,100,200,300,400,600,800,1000,1500,2000,3000", "rates to try, ascending, comma-separated")
	step := fs.Duration("step", 20*time.Second, "how long each rate runs, warm-up included")
	warmup := fs.Duration("warmup", 5*time.Second, "first part of each step left out of the figures")
	pause := fs.Duration("pause", 3*time.Second, "rest between steps, for the server's queues to drain")
	maxP99 := fs.Float64("max-p99", 250, "p99 in ms that marks the knee")
	past := fs.Int("past", 1, "steps to run past the first that misses")
	prewarm := fs.Duration("prewarm", 20*time.Second, "load at the first rate before the steps, left out of the figures (fills the server's caches)")
	jsonOut := fs.String("json", "", "write the result as JSON to this file (- for stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := mk()
	if err != nil {
		return err
	}
	if *warmup >= *step {
		return fmt.Errorf("-warmup must be shorter than -step")
	}
	var list []float64
	for _, s := range strings.Split(*rates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || r <= 0 {
			return fmt.Errorf("-rates: %q is not a positive number", s)
		}
		list = append(list, r)
	}
	if *prewarm > 0 {
		c.rate, c.dur, c.warmup = list[0], *prewarm, 0
		send(ctx, c)
		time.Sleep(*pause)
	}
	out := Steps{MaxP99: *maxP99, Knee: -1}
	missed := 0
	fmt.Fprintf(stderr, "%8s %9s %8s %8s %8s %6s %s\n", "rate", "achieved", "p50", "p99", "max", "errors", "")
	for i, r := range list {
		if ctx.Err() != nil {
			break
		}
		if i > 0 {
			time.Sleep(*pause)
		}
		c.rate, c.dur, c.warmup = r, *step, *warmup
		res := send(ctx, c)
		st := Step{Rate: r, Result: res}
		switch {
		case res.Latency.Bad > 0:
			st.Over = fmt.Sprintf("%d errors", res.Latency.Bad)
		case res.Latency.P99 > *maxP99:
			st.Over = fmt.Sprintf("p99 %.0f ms", res.Latency.P99)
		case res.AchievedRPS < 0.95*r:
			st.Over = fmt.Sprintf("achieved only %.0f/s", res.AchievedRPS)
		}
		fmt.Fprintf(stderr, "%8.0f %9.1f %8.1f %8.1f %8.1f %6d %s\n", r, res.AchievedRPS, res.Latency.P50, res.Latency.P99, res.Latency.Max, res.Latency.Bad, st.Over)
		out.Steps = append(out.Steps, st)
		if st.Over == "" {
			if missed == 0 {
				out.Knee = r
			}
			continue
		}
		if missed == 0 {
			out.KneeOver = r
			if out.Knee < 0 {
				out.Knee = 0
			}
		}
		missed++
		if missed > *past {
			break
		}
	}
	switch {
	case out.KneeOver == 0:
		fmt.Fprintf(stderr, "knee: above %.0f/s (every rate tried met p99 ≤ %.0f ms)\n", out.Knee, *maxP99)
	default:
		fmt.Fprintf(stderr, "knee: %.0f/s (first rate over p99 %.0f ms or with errors: %.0f/s)\n", out.Knee, *maxP99, out.KneeOver)
	}
	return writeJSON(*jsonOut, stdout, out)
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// request is one line of the URL list.
type request struct {
	class, path string
}

// Result is what run reports (as JSON with -json): every request sent
// after the warm-up, by HTTP status and by transport error kind, the
// latency percentiles overall and per class, and the servers' RSS.
type Result struct {
	Rate        float64            `json:"rate"`
	DurationS   float64            `json:"duration_s"`
	WarmupS     float64            `json:"warmup_s"`
	Sent        int                `json:"sent"`
	AchievedRPS float64            `json:"achieved_rps"`
	Statuses    map[string]int     `json:"statuses"`
	Errors      map[string]int     `json:"errors"`
	ErrorSample []string           `json:"error_sample,omitempty"`
	Latency     Latency            `json:"latency_ms"`
	Classes     map[string]Latency `json:"classes"`
	RSS         []RSS              `json:"rss,omitempty"`
	Timeline    []Second           `json:"timeline,omitempty"`
}

// Latency summarises latencies in milliseconds.
type Latency struct {
	N    int     `json:"n"`
	Bad  int     `json:"bad"` // a transport error, a 5xx, or 429 (turned away)
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// RSS is one server process's resident set size in KiB: at the start, at
// the end of the warm-up, at the end, and the largest seen (sampled each
// second from /proc/PID/status).
type RSS struct {
	PID       int     `json:"pid"`
	Start     int64   `json:"start_kib"`
	Warm      int64   `json:"warm_kib"`
	End       int64   `json:"end_kib"`
	Max       int64   `json:"max_kib"`
	GrowthPct float64 `json:"growth_after_warmup_pct"`
}

// Second is one second of the run (warm-up included), by when the
// requests were due: how many, their statuses and errors, and the slowest.
type Second struct {
	T        int            `json:"t"`
	N        int            `json:"n"`
	Statuses map[string]int `json:"statuses"`
	Errors   map[string]int `json:"errors,omitempty"`
	MaxMS    float64        `json:"max_ms"`
}

// sample is one finished request.
type sample struct {
	class  string
	due    time.Duration // since the start
	took   time.Duration // from due to the end of the body
	status int
	errc   string
	err    string
}

// config is one load run's settings.
type config struct {
	bases    []string
	reqs     []request
	rate     float64
	dur      time.Duration
	warmup   time.Duration
	conns    int
	timeout  time.Duration
	pids     []int
	timeline bool
}

// limits are the pass criteria of a run; zero values are not checked.
type limits struct {
	maxP99       float64 // ms
	maxBad       int     // transport errors plus 5xx and 429 responses
	maxRSSGrowth float64 // percent after the warm-up
}

// loadFlags declares the flags run and steps share and returns a
// function that turns them into a config (rate and duration are the
// caller's).
func loadFlags(fs *flag.FlagSet) func() (config, error) {
	bases := fs.String("base", "http://127.0.0.1:8080", "server base URL; several, comma-separated, share the load round-robin")
	urlsFile := fs.String("urls", "", "URL list: one \"class path\" per line")
	conns := fs.Int("conns", 512, "most requests in flight; more wait (their wait counts in their latency)")
	timeout := fs.Duration("timeout", 10*time.Second, "per-request timeout")
	pids := fs.String("pid", "", "server process ids, comma-separated, whose RSS to sample")
	seed := fs.Uint64("seed", 1, "random seed for the order of the URL list")
	return func() (config, error) {
		c := config{conns: *conns, timeout: *timeout}
		if *conns < 1 {
			return c, fmt.Errorf("-conns must be at least 1")
		}
		reqs, err := readURLs(*urlsFile)
		if err != nil {
			return c, err
		}
		rng := rand.New(rand.NewPCG(*seed, 11))
		rng.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })
		c.reqs = reqs
		for _, s := range strings.Split(*pids, ",") {
			if s = strings.TrimSpace(s); s != "" {
				p, err := strconv.Atoi(s)
				if err != nil {
					return c, fmt.Errorf("-pid %q: %v", s, err)
				}
				c.pids = append(c.pids, p)
			}
		}
		for _, b := range strings.Split(*bases, ",") {
			c.bases = append(c.bases, strings.TrimRight(strings.TrimSpace(b), "/"))
		}
		return c, nil
	}
}

// limitFlags declares the pass criteria flags.
func limitFlags(fs *flag.FlagSet) *limits {
	l := &limits{}
	fs.Float64Var(&l.maxP99, "max-p99", 0, "fail (exit status 3) when p99 exceeds this many ms (0: no check)")
	fs.IntVar(&l.maxBad, "max-errors", -1, "fail when transport errors plus 5xx and 429 responses exceed this (-1: no check)")
	fs.Float64Var(&l.maxRSSGrowth, "max-rss-growth", 0, "fail when a server's RSS grew by more than this percentage after the warm-up (0: no check)")
	return l
}

// check returns what r fails of l, one line each.
func (l *limits) check(r Result) []string {
	var failed []string
	if l.maxP99 > 0 && r.Latency.P99 > l.maxP99 {
		failed = append(failed, fmt.Sprintf("p99 %.1f ms > %.0f ms", r.Latency.P99, l.maxP99))
	}
	if l.maxBad >= 0 && r.Latency.Bad > l.maxBad {
		failed = append(failed, fmt.Sprintf("%d errors (transport, 5xx or 429) > %d", r.Latency.Bad, l.maxBad))
	}
	for _, p := range r.RSS {
		if l.maxRSSGrowth > 0 && p.GrowthPct > l.maxRSSGrowth {
			failed = append(failed, fmt.Sprintf("pid %d RSS grew %.1f%% > %.0f%% after the warm-up", p.PID, p.GrowthPct, l.maxRSSGrowth))
		}
	}
	return failed
}

// errLimits is returned when a run misses its pass criteria.
var errLimits = errors.New("pass criteria missed")

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mk := loadFlags(fs)
	lim := limitFlags(fs)
	rate := fs.Float64("rate", 100, "requests per second, constant")
	dur := fs.Duration("duration", 30*time.Second, "how long to send, warm-up included")
	warmup := fs.Duration("warmup", 0, "first part of the run left out of the figures")
	jsonOut := fs.String("json", "", "write the result as JSON to this file (- for stdout)")
	timeline := fs.Bool("timeline", false, "include per-second figures in the JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rate <= 0 || *dur <= 0 || *warmup >= *dur {
		return fmt.Errorf("want -rate > 0 and -duration > -warmup >= 0")
	}
	c, err := mk()
	if err != nil {
		return err
	}
	c.rate, c.dur, c.warmup, c.timeline = *rate, *dur, *warmup, *timeline
	res := send(ctx, c)
	report(stderr, res)
	if err := writeJSON(*jsonOut, stdout, res); err != nil {
		return err
	}
	if failed := lim.check(res); len(failed) > 0 {
		for _, f := range failed {
			fmt.Fprintln(stderr, "FAIL:", f)
		}
		return errLimits
	}
	return nil
}

// writeJSON writes v as indented JSON to name ("-": w; "": nowhere).
func writeJSON(name string, w io.Writer, v any) error {
	if name == "" {
		return nil
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	b = append(b, '\n')
	if name == "-" {
		_, err := w.Write(b)
		return err
	}
	return os.WriteFile(name, b, 0o644)
}

// send runs one load and summarises it.
func send(ctx context.Context, c config) Result {
	client := &http.Client{
		Timeout: c.timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        c.conns,
			MaxIdleConnsPerHost: c.conns,
			IdleConnTimeout:     30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()

	rss := newRSSSampler(c.pids)
	stopRSS := rss.run(ctx, c.warmup)
	results := make(chan sample, 4096)
	var collected []sample
	collectDone := make(chan struct{})
	go func() {
		for s := range results {
			collected = append(collected, s)
		}
		close(collectDone)
	}()

	sem := make(chan struct{}, c.conns)
	var wg sync.WaitGroup
	start := time.Now()
	sent := 0
loop:
	for {
		due := time.Duration(float64(sent) * float64(time.Second) / c.rate)
		if due >= c.dur {
			break
		}
		if wait := time.Until(start.Add(due)); wait > 0 {
			select {
			case <-ctx.Done():
				break loop
			case <-time.After(wait):
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		r := c.reqs[sent%len(c.reqs)]
		base := c.bases[sent%len(c.bases)]
		sent++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results <- do(ctx, client, base, r, start, due)
		}()
	}
	wg.Wait()
	close(results)
	<-collectDone
	res := summarise(collected, c.rate, c.dur, c.warmup, time.Since(start), c.timeline)
	res.RSS = stopRSS()
	return res
}

// do sends one request and reads its whole body.
func do(ctx context.Context, client *http.Client, base string, r request, start time.Time, due time.Duration) sample {
	s := sample{class: r.class, due: due}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+r.path, nil)
	if err == nil {
		var res *http.Response
		res, err = client.Do(req)
		if err == nil {
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			s.status = res.StatusCode
		}
	}
	s.took = time.Since(start) - due
	if err != nil {
		s.status = 0
		s.errc = errorKind(err)
		s.err = err.Error()
	}
	return s
}

// errorKind names a transport error: refused (nothing listening), reset
// (the connection was dropped), eof (closed before the answer was
// complete), timeout, or other.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return "other"
}

// readURLs reads the URL list.
func readURLs(name string) ([]request, error) {
	if name == "" {
		return nil, fmt.Errorf("-urls is required")
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []request
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		class, path, ok := strings.Cut(line, " ")
		if !ok {
			class, path = "other", line
		}
		if !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("%s: %q is not a path", name, path)
		}
		out = append(out, request{class, strings.TrimSpace(path)})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no URLs", name)
	}
	return out, nil
}

// summarise turns the samples into the result; those due in the warm-up
// count only in the timeline.
func summarise(all []sample, rate float64, dur, warmup, elapsed time.Duration, timeline bool) Result {
	res := Result{Rate: rate, DurationS: dur.Seconds(), WarmupS: warmup.Seconds(), Statuses: map[string]int{}, Errors: map[string]int{}, Classes: map[string]Latency{}}
	byClass := map[string][]float64{}
	badByClass := map[string]int{}
	var lat []float64
	var secs []Second
	for _, s := range all {
		ms := float64(s.took.Microseconds()) / 1000
		if timeline {
			t := int(s.due / time.Second)
			for len(secs) <= t {
				secs = append(secs, Second{T: len(secs), Statuses: map[string]int{}, Errors: map[string]int{}})
			}
			sec := &secs[t]
			sec.N++
			if s.errc != "" {
				sec.Errors[s.errc]++
			} else {
				sec.Statuses[strconv.Itoa(s.status)]++
			}
			sec.MaxMS = max(sec.MaxMS, ms)
		}
		if s.due < warmup {
			continue
		}
		res.Sent++
		if s.errc != "" {
			res.Errors[s.errc]++
			if len(res.ErrorSample) < 10 {
				res.ErrorSample = append(res.ErrorSample, s.class+": "+s.err)
			}
		} else {
			res.Statuses[strconv.Itoa(s.status)]++
		}
		if s.errc != "" || s.status >= 500 || s.status == http.StatusTooManyRequests {
			badByClass[s.class]++
		}
		lat = append(lat, ms)
		byClass[s.class] = append(byClass[s.class], ms)
	}
	res.AchievedRPS = float64(res.Sent) / max(1e-9, (min(elapsed, dur)-warmup).Seconds())
	res.Latency = percentiles(lat)
	for c, l := range byClass {
		p := percentiles(l)
		p.Bad = badByClass[c]
		res.Latency.Bad += p.Bad
		res.Classes[c] = p
	}
	res.Timeline = secs
	return res
}

// percentiles summarises ms (sorting it).
func percentiles(ms []float64) Latency {
	if len(ms) == 0 {
		return Latency{}
	}
	slices.Sort(ms)
	at := func(q float64) float64 { return ms[min(len(ms)-1, int(q*float64(len(ms))))] }
	return Latency{N: len(ms), P50: at(0.50), P90: at(0.90), P99: at(0.99), P999: at(0.999), Max: ms[len(ms)-1]}
}

// report prints the result for a person.
func report(w io.Writer, r Result) {
	fmt.Fprintf(w, "rate %.0f/s for %.0fs (warm-up %.0fs): %d sent, %.1f/s achieved\n", r.Rate, r.DurationS, r.WarmupS, r.Sent, r.AchievedRPS)
	fmt.Fprintf(w, "statuses %v errors %v\n", r.Statuses, r.Errors)
	fmt.Fprintf(w, "%-8s %7s %5s %8s %8s %8s %8s %8s\n", "class", "n", "bad", "p50", "p90", "p99", "p99.9", "max")
	line := func(name string, l Latency) {
		fmt.Fprintf(w, "%-8s %7d %5d %8.1f %8.1f %8.1f %8.1f %8.1f\n", name, l.N, l.Bad, l.P50, l.P90, l.P99, l.P999, l.Max)
	}
	classes := make([]string, 0, len(r.Classes))
	for c := range r.Classes {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	for _, c := range classes {
		line(c, r.Classes[c])
	}
	line("all", r.Latency)
	for _, p := range r.RSS {
		fmt.Fprintf(w, "rss pid %d: start %d KiB, after warm-up %d KiB, end %d KiB, max %d KiB (%+.1f%% after warm-up)\n", p.PID, p.Start, p.Warm, p.End, p.Max, p.GrowthPct)
	}
	for _, e := range r.ErrorSample {
		fmt.Fprintln(w, "error:", e)
	}
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssSampler reads the resident set size of server processes once a
// second.
type rssSampler struct {
	mu    sync.Mutex
	procs []RSS
}

func newRSSSampler(pids []int) *rssSampler {
	s := &rssSampler{}
	for _, p := range pids {
		s.procs = append(s.procs, RSS{PID: p})
	}
	return s
}

// run samples until the returned function is called, which returns the
// figures; the sample taken when warmup has passed is the baseline of the
// growth figure.
func (s *rssSampler) run(ctx context.Context, warmup time.Duration) func() []RSS {
	if len(s.procs) == 0 {
		return func() []RSS { return nil }
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	start := time.Now()
	s.sample(true, false)
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		warmed := warmup == 0
		if warmed {
			s.sample(false, true)
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			w := !warmed && time.Since(start) >= warmup
			warmed = warmed || w
			s.sample(false, w)
		}
	}()
	return func() []RSS {
		cancel()
		<-done
		s.sample(false, false)
		s.mu.Lock()
		defer s.mu.Unlock()
		for i := range s.procs {
			p := &s.procs[i]
			if p.Warm > 0 {
				p.GrowthPct = 100 * float64(p.End-p.Warm) / float64(p.Warm)
			}
		}
		return s.procs
	}
}

// sample reads every process's RSS once.
func (s *rssSampler) sample(first, warm bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.procs {
		p := &s.procs[i]
		kib, err := vmRSS(p.PID)
		if err != nil {
			continue // the process is gone; keep what was seen
		}
		if first {
			p.Start = kib
		}
		if warm {
			p.Warm = kib
		}
		p.End = kib
		p.Max = max(p.Max, kib)
	}
}

// vmRSS returns VmRSS of /proc/PID/status in KiB.
func vmRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
}

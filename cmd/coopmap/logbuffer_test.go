package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestLogBuffer: info lines gather until the interval, a warning takes
// them out at once, and Close leaves nothing behind.
func TestLogBuffer(t *testing.T) {
	var out syncBuffer
	buf := newLogBuffer(&out, time.Hour) // no tick during the test
	log := slog.New(flushOn{slog.NewJSONHandler(buf, nil), slog.LevelWarn, buf}).With("server", "test")
	log.Info("request", "path", "/tiles/a/1/2/3.mvt")
	if got := out.String(); got != "" {
		t.Fatalf("an info line went out before the interval: %q", got)
	}
	log.Warn("store unavailable")
	if got := out.String(); !strings.Contains(got, `"path":"/tiles/a/1/2/3.mvt"`) || !strings.Contains(got, `"msg":"store unavailable"`) ||
		!strings.Contains(got, `"server":"test"`) {
		t.Fatalf("a warning did not take the lines out: %q", got)
	}
	log.Info("stopped")
	if err := buf.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasSuffix(got, "\n") || !strings.Contains(got, `"msg":"stopped"`) || strings.Count(got, "\n") != 3 {
		t.Fatalf("Close left lines behind: %q", got)
	}
}

// TestLogBufferInterval: a gathered line goes out on the timer.
func TestLogBufferInterval(t *testing.T) {
	var out syncBuffer
	buf := newLogBuffer(&out, 10*time.Millisecond)
	defer buf.Close()
	slog.New(slog.NewJSONHandler(buf, nil)).Info("request")
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), `"msg":"request"`); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the timer never flushed the line")
		}
	}
}

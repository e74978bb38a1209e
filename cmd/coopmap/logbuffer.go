package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logFlushEvery is how long a line of serve's log may wait in logBuffer.
const logFlushEvery = 200 * time.Millisecond

// logBuffer gathers log lines and writes them out together, every few
// hundred milliseconds, when 64 KiB have gathered, at once for a warning
// or an error (flushOn), and on Close. A busy server then writes its
// request log in a few large writes instead of one system call a
// request (about half of the log's cost on the warm tile path,
// docs/PERFORMANCE.md). A crash loses at most the last interval's
// info lines.
type logBuffer struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// newLogBuffer buffers w, flushing it every interval until Close.
func newLogBuffer(w io.Writer, every time.Duration) *logBuffer {
	b := &logBuffer{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go b.flushEvery(every)
	return b
}

// Write adds p to the buffer.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes out what has gathered.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

func (b *logBuffer) flushEvery(every time.Duration) {
	defer close(b.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.Flush()
		case <-b.stop:
			return
		}
	}
}

// Close stops the timer and flushes.
func (b *logBuffer) Close() error {
	close(b.stop)
	<-b.done
	return b.Flush()
}

// flushOn is a slog handler that flushes its buffer after every record
// at level or above, so that warnings and errors are out at once.
type flushOn struct {
	slog.Handler
	level slog.Level
	buf   *logBuffer
}

// Handle passes r on and flushes for a record at the level or above.
func (h flushOn) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= h.level {
		if ferr := h.buf.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

// WithAttrs keeps the flushing for the handler with attrs.
func (h flushOn) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushOn{h.Handler.WithAttrs(attrs), h.level, h.buf}
}

// WithGroup keeps the flushing for the handler with the group.
func (h flushOn) WithGroup(name string) slog.Handler {
	return flushOn{h.Handler.WithGroup(name), h.level, h.buf}
}

package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/coopmap/coopmap"
)

// A bad basemap setting stops serve before it opens anything, naming the
// setting.
func TestServeRefusesBadBasemap(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.gpkg")
	for flag, value := range map[string]string{
		"--basemap-url":             "javascript:alert(1)//{z}/{x}/{y}",
		"--basemap-attribution-url": "data:text/html,x",
		"--basemap-max-zoom":        "30",
	} {
		var stderr bytes.Buffer
		err := serve(context.Background(), []string{"--db", db, "--addr", "127.0.0.1:0", flag, value}, &stderr, func(string) string { return "" })
		if coopmap.ErrorCode(err) != coopmap.CodeInvalid {
			t.Errorf("%s %s: got %v, want an invalid error", flag, value, err)
		}
	}
}

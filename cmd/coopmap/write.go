package main

import (
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/coopmap/coopmap/web"
)

// WriteFlags are serve's settings of the write API.
type WriteFlags struct {
	// CORSOrigins is --cors-write-origins: a comma-separated allow-list
	// of the origins whose pages may write from a browser.
	CORSOrigins string
	// SuggestionLimit public suggestions are allowed per client address
	// and SuggestionWindow.
	SuggestionLimit  int
	SuggestionWindow time.Duration
	// MaxImportBytes bounds an upload to /collections/{id}/import.
	MaxImportBytes int64
}

// writeFlags adds the write API's flags to serve's flag set.
func writeFlags(fs *flag.FlagSet, w *WriteFlags) {
	fs.StringVar(&w.CORSOrigins, "cors-write-origins", "", "origins whose web pages may call the write API (comma-separated, e.g. https://editor.example.org); none by default, so only same-origin pages and non-browser clients write")
	fs.IntVar(&w.SuggestionLimit, "suggestion-limit", web.DefaultSuggestionLimit, "public suggestions one client address may send per --suggestion-window (429 beyond)")
	fs.DurationVar(&w.SuggestionWindow, "suggestion-window", web.DefaultSuggestionWindow, "the window of --suggestion-limit")
	fs.Int64Var(&w.MaxImportBytes, "max-import-bytes", web.DefaultMaxImportBody, "largest file uploaded to /collections/{id}/import (413 beyond); import larger files with coopmap import")
}

// origins returns the checked allow-list of --cors-write-origins. Each
// entry must be an http or https origin, without path, query or "*".
func (w WriteFlags) origins() ([]string, error) {
	var out []string
	for _, o := range strings.Split(w.CORSOrigins, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil || strings.Contains(o, "*") {
			return nil, fmt.Errorf("--cors-write-origins: %q is not an origin such as https://editor.example.org", o)
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out, nil
}

// validate checks the write API's settings.
func (w WriteFlags) validate() error {
	if w.SuggestionLimit < 1 || w.SuggestionWindow <= 0 {
		return fmt.Errorf("--suggestion-limit and --suggestion-window must be positive")
	}
	if w.MaxImportBytes < 1 {
		return fmt.Errorf("--max-import-bytes must be positive")
	}
	_, err := w.origins()
	return err
}

// apply sets the write API's part of the server's configuration: the
// flags, and the parsers uploads are imported with, the same as coopmap
// import's with their default options.
func (w WriteFlags) apply(cfg *web.Config) error {
	origins, err := w.origins()
	if err != nil {
		return err
	}
	var ic importConfig
	fmts, err := ic.formats()
	if err != nil {
		return err
	}
	cfg.CORSWriteOrigins = origins
	cfg.ImportFormats = fmts
	cfg.SuggestionLimit, cfg.SuggestionWindow = w.SuggestionLimit, w.SuggestionWindow
	cfg.MaxImportBody = w.MaxImportBytes
	return nil
}

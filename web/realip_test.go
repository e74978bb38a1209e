package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRealIP checks that forwarded addresses are believed only from a
// trusted proxy, read from the right past further trusted proxies.
func TestRealIP(t *testing.T) {
	trusted, err := ParseTrustedProxies("127.0.0.0/8, ::1, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer, xff, xri, want string
	}{
		{"direct client, no headers", "203.0.113.5:4000", "", "", "203.0.113.5:4000"},
		{"direct client forging XFF", "203.0.113.5:4000", "198.51.100.1", "", "203.0.113.5:4000"},
		{"direct client forging X-Real-IP", "203.0.113.5:4000", "", "198.51.100.1", "203.0.113.5:4000"},
		{"trusted proxy", "127.0.0.1:5000", "198.51.100.1", "", "198.51.100.1:0"},
		{"forged left entry ignored", "127.0.0.1:5000", "1.2.3.4, 198.51.100.1", "", "198.51.100.1:0"},
		{"chain of trusted proxies", "127.0.0.1:5000", "198.51.100.1, 10.1.2.3", "", "198.51.100.1:0"},
		{"X-Real-IP from a trusted proxy", "[::1]:5000", "", "2001:db8::7", "[2001:db8::7]:0"},
		{"garbage XFF falls back to X-Real-IP", "127.0.0.1:5000", "not-an-ip", "198.51.100.9", "198.51.100.9:0"},
		{"trusted proxy without headers", "127.0.0.1:5000", "", "", "127.0.0.1:5000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{cfg: Config{TrustedProxies: trusted}}
			var got string
			h := s.realIP(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.RemoteAddr }))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.peer
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if tc.xri != "" {
				r.Header.Set("X-Real-IP", tc.xri)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != tc.want {
				t.Errorf("RemoteAddr = %q; want %q", got, tc.want)
			}
		})
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8, nonsense"); err == nil {
		t.Error("ParseTrustedProxies accepted nonsense")
	}
	if p, err := ParseTrustedProxies("none"); err != nil || len(p) != 0 {
		t.Errorf("none = %v, %v", p, err)
	}
}

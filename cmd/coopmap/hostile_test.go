package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coopmap/coopmap/web/webtest"
)

// hostileDir is the hostile-input catalogue (README.md there).
const hostileDir = "../../testdata/hostile"

// maxServeRSS bounds the serve process's peak resident size over the
// whole of process.tsv (issue 10: memory ≤256 MiB).
const maxServeRSS = 256 << 20

// slowLimit is how long a slow client may keep a connection before the
// test fails: beyond the timeouts the server is started with (1 to 20
// seconds), and far short of the 10 minutes a slow client would need.
const slowLimit = 30 * time.Second

// TestHostileProcess sends testdata/hostile/process.tsv to a real
// coopmap serve, built with go build and started with short timeouts, so
// that what is tested is the http.Server's own settings: 431 for huge
// headers, slow headers and slow bodies cut off, paths sent byte for byte
// (no client clean-up) that never leave the app, large and explosive
// uploads refused. It then checks that the process is alive and
// answering, logged no panic, and that its peak resident set size (VmHWM
// from /proc) stayed at most 256 MiB.
func TestHostileProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds coopmap and imports the demo data")
	}
	cases, err := webtest.LoadHostile(filepath.Join(hostileDir, "process.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := buildTool(t, ".", dir)
	db := filepath.Join(dir, "hostile.gpkg")
	demoImport(t, db)
	out, err := exec.Command(bin, "token", "create", "--db", db, "--name", "hostile", "--scope", "admin").Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	vars := map[string]string{"token": strings.TrimSpace(string(out))}
	p := startProc(t, bin, "--db", db, "--read-header-timeout", "1s", "--read-timeout", "2s", "--write-timeout", "40s",
		"--download-timeout", "20s", "--max-import-bytes", strconv.Itoa(64<<20))
	addr := strings.TrimPrefix(p.base, "http://")
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			kind, method, _ := strings.Cut(c.Method, ":")
			var err error
			switch kind {
			case "RAW":
				err = rawCase(addr, method, c, vars)
			case "SLOWHEADERS", "SLOWBODY":
				err = slowCase(addr, kind, method, c, vars)
			default:
				err = clientCase(p.base, c, vars)
			}
			if err != nil {
				t.Errorf("%s %s: %v", c.Where, c.Name, err)
			}
			p.alive(t)
			if rss, err := procHWM(p.cmd.Process.Pid); err == nil {
				t.Logf("peak RSS of coopmap serve so far: %d MiB", rss>>20)
			}
		})
	}
	if code, _ := status(p.base + "/collections/coops-uk/items?limit=1"); code != http.StatusOK {
		t.Errorf("after the catalogue /collections/coops-uk/items answers %d", code)
	}
	rss, err := procHWM(p.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cases; peak RSS of coopmap serve (VmHWM) %d MiB", len(cases), rss>>20)
	if rss > maxServeRSS {
		t.Errorf("coopmap serve reached %d MiB resident; the limit is %d MiB", rss>>20, maxServeRSS>>20)
	}
	if logs := p.logs.String(); strings.Contains(logs, "panic") {
		t.Errorf("coopmap serve logged a panic:\n%s", logs)
	}
}

// clientCase sends c with net/http's client.
func clientCase(base string, c webtest.HostileCase, vars map[string]string) error {
	req, err := webtest.HostileRequest(c, base, hostileDir, vars)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return webtest.CheckHostile(c, resp.StatusCode, resp.Header, body)
}

// rawHead is the request line and header block of c, as written.
func rawHead(method string, c webtest.HostileCase, vars map[string]string) (string, error) {
	target, err := webtest.Expand(c.Target, vars)
	if err != nil {
		return "", err
	}
	headers, err := webtest.Expand(c.Headers, vars)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: coopmap.test\r\nConnection: close\r\n", method, target)
	for _, h := range strings.Split(headers, " | ") {
		if strings.TrimSpace(h) != "" {
			b.WriteString(h + "\r\n")
		}
	}
	return b.String(), nil
}

// rawCase writes c by hand on a TCP connection and reads the answer,
// which may come before the whole request is written.
func rawCase(addr, method string, c webtest.HostileCase, vars map[string]string) error {
	head, err := rawHead(method, c, vars)
	if err != nil {
		return err
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	req, err := webtest.HostileBody(hostileDir, c.Body, vars)
	if err != nil {
		return err
	}
	if req != nil {
		head += fmt.Sprintf("Content-Length: %d\r\n", len(req))
	}
	conn.SetDeadline(time.Now().Add(2 * time.Minute))
	// Written alongside the read: the server may answer (431, 413) and
	// close before it has read the whole request.
	go func() {
		io.WriteString(conn, head+"\r\n")
		conn.Write(req)
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil && c.Status == http.StatusRequestEntityTooLarge && len(req) > 0 {
		// The server stopped reading at its limit and closed; a client
		// still sending then gets a TCP reset, which can overtake the 413.
		// Either way the server did not take the whole body.
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return webtest.CheckHostile(c, resp.StatusCode, resp.Header, body)
}

// slowCase is a slowloris client: SLOWHEADERS sends the request line and
// then one header line every 200 ms, never ending the block; SLOWBODY
// sends the whole header block, then one byte of the body every 200 ms.
// The server must close the connection (or answer 408) within slowLimit;
// anything else it answers must not be a 5xx.
func slowCase(addr, kind, method string, c webtest.HostileCase, vars map[string]string) error {
	head, err := rawHead(cmp.Or(method, http.MethodGet), c, vars)
	if err != nil {
		return err
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	answer := make(chan []byte, 1)
	go func() {
		// Whatever comes back before the server closes the connection.
		b, _ := io.ReadAll(conn)
		answer <- b
	}()
	start := time.Now()
	if kind == "SLOWBODY" {
		head += "\r\n"
	}
	if _, err := io.WriteString(conn, head); err != nil {
		return err
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	limit := time.After(slowLimit)
	for i := 0; ; i++ {
		select {
		case b := <-answer:
			line, _, _ := bytes.Cut(b, []byte("\r\n"))
			if len(line) >= 12 && line[9] == '5' {
				return fmt.Errorf("after %v: %s", time.Since(start).Round(time.Millisecond), line)
			}
			if len(line) > 0 && c.Status != http.StatusRequestTimeout && !bytes.HasPrefix(line, fmt.Appendf(nil, "HTTP/1.1 %d", c.Status)) {
				return fmt.Errorf("after %v the slow client got %q; want %d", time.Since(start).Round(time.Millisecond), line, c.Status)
			}
			if len(line) > 0 && c.Status == http.StatusRequestTimeout && !bytes.HasPrefix(line, []byte("HTTP/1.1 4")) {
				return fmt.Errorf("after %v the slow client got %q; want the connection closed or a 4xx", time.Since(start).Round(time.Millisecond), line)
			}
			return nil
		case <-limit:
			return errors.New("the server kept a slow client for 30 s")
		case <-tick.C:
			// Writes fail once the server has closed; the read reports it.
			if kind == "SLOWHEADERS" {
				fmt.Fprintf(conn, "X-Slow-%d: y\r\n", i)
			} else {
				conn.Write([]byte("a"))
			}
		}
	}
}

// procHWM returns the peak resident set size of process pid (VmHWM).
func procHWM(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// Command loadgen sends HTTP GET requests at a constant rate (an open
// model, like wrk2: latency is measured from when a request was due, so a
// slow server cannot hide its queue by slowing the sender) and reports
// status counts, transport errors, latency percentiles per request class
// and the resident memory of the server's process.
//
//	loadgen urls -base http://127.0.0.1:8080 -n 2000 > urls.txt
//	loadgen run -base http://127.0.0.1:8080 -urls urls.txt -rate 200 -duration 2m -warmup 20s -pid 1234 -json out.json
//	loadgen steps -base http://127.0.0.1:8080 -urls urls.txt -rates 100,200,400,800 -max-p99 250
//
// The URL list has one "class path" per line (a bare path is class
// "other"); run cycles through it in a seeded random order. Several
// -base URLs, comma-separated, share the requests round-robin (for
// instances behind a load balancer). Everything is loopback and bounded by
// -duration; bench/soak.sh, bench/saturate.sh and bench/scaleout.sh drive
// it, and so do the fault tests in cmd/coopmap.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, errLimits):
		os.Exit(3)
	case err != nil:
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  loadgen urls -base URL [-n N] [-seed N]                 print a mixed URL list built from the server's data
  loadgen run -base URL[,URL…] -urls FILE -rate N -duration D [flags]   send the load and report
  loadgen steps -base URL[,URL…] -urls FILE [-rates 50,100,…] [flags]    raise the rate until p99 passes -max-p99
Run "loadgen run -h" or "loadgen steps -h" for the flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command")
	}
	switch args[0] {
	case "urls":
		return urlsCommand(ctx, args[1:], stdout, stderr)
	case "run":
		return runCommand(ctx, args[1:], stdout, stderr)
	case "steps":
		return stepsCommand(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// Command runjob runs every task of a Nomad job file through a driver
// plugin the way a Nomad client would, printing the driver's task events,
// each task's stdout and stderr as collected from its log FIFOs, and its
// exit result. It exits non-zero if any task failed.
//
//	go run ./cmd/runjob -plugin <bin> -container <bin> [-agent client.hcl] job.nomad
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

type options struct {
	plugin    string
	container string
	agent     string
	jobPath   string
	stopAfter time.Duration
	timeout   time.Duration
	keep      bool
}

func main() {
	opts, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "runjob:", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	failed, err := run(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "runjob:", err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}

func parseFlags() (*options, error) {
	opts := &options{}
	flag.StringVar(&opts.plugin, "plugin", "", "path of the nomad-driver-container plugin binary (required)")
	flag.StringVar(&opts.container, "container", "",
		"path of the `container` CLI the plugin should find first on PATH (default: the plugin's own search)")
	flag.StringVar(&opts.agent, "agent", "", "Nomad client agent config with the plugin block (default: an empty block)")
	flag.DurationVar(&opts.stopAfter, "stop-after", 0,
		"stop tasks still running after this long, with their kill_signal and kill_timeout (0: wait for exit)")
	flag.DurationVar(&opts.timeout, "timeout", 5*time.Minute, "give up and stop every task after this long")
	flag.BoolVar(&opts.keep, "keep", false, "keep the alloc directory and print its path")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: runjob -plugin <bin> [flags] <job.nomad>\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()

	if opts.plugin == "" {
		return nil, errors.New("-plugin is required")
	}
	if flag.NArg() != 1 {
		return nil, errors.New("exactly one job file is required")
	}
	opts.jobPath = flag.Arg(0)

	var err error
	if opts.plugin, err = filepath.Abs(opts.plugin); err != nil {
		return nil, err
	}
	if opts.container != "" {
		if opts.container, err = filepath.Abs(opts.container); err != nil {
			return nil, err
		}
	}
	return opts, nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nomad-driver-container/conformance/harness"
	driverpb "github.com/nomad-driver-container/conformance/proto/drivers"
)

type taskResult struct {
	name   string
	events []*driverpb.DriverTaskEvent
	stdout string
	stderr string
	exit   harness.Exit
	err    error
}

func (r taskResult) succeeded() bool { return r.err == nil && r.exit.Successful() }

// runTask starts one task, waits for it (stopping it after -stop-after or
// -timeout), destroys it and collects its logs.
func runTask(ctx context.Context, opts *options, alloc *harness.Alloc, name string, driver *harness.Driver) taskResult {
	result := taskResult{name: name}
	runner, err := alloc.NewTask(name)
	if err != nil {
		result.err = err
		return result
	}

	if err := startWithRestarts(ctx, runner, driver); err != nil {
		_ = runner.DrainLogs()
		result.err = err
		result.events = runner.Events()
		return result
	}
	result.exit, result.err = waitOrStop(ctx, opts, runner)

	destroyCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := runner.Destroy(destroyCtx); err != nil && result.err == nil {
		result.err = err
	}
	if err := runner.DrainLogs(); err != nil && result.err == nil {
		result.err = err
	}

	result.events = runner.Events()
	paths := alloc.LogPaths(name)
	result.stdout = readFile(paths.StdoutLog)
	result.stderr = readFile(paths.StderrLog)
	return result
}

func waitOrStop(ctx context.Context, opts *options, runner *harness.TaskRunner) (harness.Exit, error) {
	limit := opts.timeout
	if opts.stopAfter > 0 {
		limit = min(limit, opts.stopAfter)
	}
	waitCtx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()

	exit, err := runner.Wait(waitCtx)
	if err == nil {
		return exit, nil
	}
	// The deadline travels to the plugin as grpc-timeout, so the server may
	// end the call ("Timeout expired") a moment before our own context
	// notices: both mean the wait ran out, not that the task failed.
	code := status.Code(err)
	ranOut := waitCtx.Err() != nil || code == codes.Canceled || code == codes.DeadlineExceeded
	if !ranOut {
		return exit, err
	}
	interrupted := ctx.Err() != nil

	fmt.Printf("==> stopping task %q (signal %q, timeout %s)\n",
		runner.Task.Name, runner.Task.KillSignal, runner.Task.KillTimeout)
	killCtx, cancelKill := context.WithTimeout(context.Background(), harness.MaxKillTimeout+30*time.Second)
	defer cancelKill()
	exit, err = runner.Kill(killCtx)
	if err != nil {
		return exit, err
	}
	if interrupted {
		return exit, fmt.Errorf("interrupted; task stopped: %s", exit)
	}
	if opts.stopAfter == 0 || limit < opts.stopAfter {
		return exit, fmt.Errorf("task did not exit within -timeout %s; stopped: %s", opts.timeout, exit)
	}
	return exit, nil
}

func readFile(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(data)
}

// Like Nomad's restart policy, a start that failed recoverably (a task:<name>
// sidecar whose main task is not up yet, an unreachable registry) is tried
// again after a delay; a final error is not.
const (
	startAttempts = 4
	restartDelay  = 2 * time.Second
)

func startWithRestarts(ctx context.Context, runner *harness.TaskRunner, driver *harness.Driver) error {
	var err error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		if err = runner.Start(ctx, driver); err == nil {
			return nil
		}
		var start *harness.StartError
		if !errors.As(err, &start) || !start.Recoverable || attempt == startAttempts {
			return err
		}
		fmt.Fprintf(os.Stderr, "runjob: task %q: recoverable start error, restarting in %s: %v\n",
			runner.Task.Name, restartDelay, err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(restartDelay):
		}
	}
	return err
}

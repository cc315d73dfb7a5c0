package logmon

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Paths names a task's FIFOs and log files.
type Paths struct {
	StdoutFIFO string
	StderrFIFO string
	StdoutLog  string
	StderrLog  string
}

// Logmon collects one task's stdout and stderr.
type Logmon struct {
	paths  Paths
	stdout *stream
	stderr *stream
}

// New creates both FIFOs (mode 0600) and returns a stopped Logmon.
func New(paths Paths) (*Logmon, error) {
	for _, fifo := range []string{paths.StdoutFIFO, paths.StderrFIFO} {
		if err := CreateFIFO(fifo); err != nil {
			return nil, err
		}
	}
	return &Logmon{
		paths:  paths,
		stdout: newStream(paths.StdoutFIFO, paths.StdoutLog),
		stderr: newStream(paths.StderrFIFO, paths.StderrLog),
	}, nil
}

// Paths returns the FIFO and log paths.
func (l *Logmon) Paths() Paths { return l.paths }

// Start opens the FIFOs and copies them, unless both copies still run; a
// copy that ended (its writer closed) is restarted with a fresh open.
func (l *Logmon) Start() error {
	if err := l.stdout.start(); err != nil {
		return err
	}
	return l.stderr.start()
}

// Running reports whether both copies are in progress.
func (l *Logmon) Running() bool {
	return l.stdout.running() && l.stderr.running()
}

// Stop ends both copies and closes the FIFOs' read ends, as when logmon
// is killed.
func (l *Logmon) Stop() error {
	return errors.Join(l.stdout.stop(), l.stderr.stop())
}

// Drain waits up to timeout for both writers to close (EOF), then stops,
// like logmon at task stop.
func (l *Logmon) Drain(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	l.stdout.wait(ctx.Done())
	l.stderr.wait(ctx.Done())
	if err := l.Stop(); err != nil {
		return fmt.Errorf("drain logs: %w", err)
	}
	return nil
}

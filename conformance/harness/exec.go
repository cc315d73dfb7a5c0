package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	driverpb "github.com/nomad-driver-container/conformance/proto/drivers"
)

// ExecOutput is a unary ExecTask answer.
type ExecOutput struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int32
}

// Exec calls ExecTask, as script checks do. The client reads result, so a
// reply without one is an error here.
func (r *TaskRunner) Exec(ctx context.Context, timeout time.Duration, command ...string) (*ExecOutput, error) {
	resp, err := r.Driver.Client().ExecTask(ctx, &driverpb.ExecTaskRequest{
		TaskId:  r.ID(),
		Command: command,
		Timeout: durationpb.New(timeout),
	})
	if err != nil {
		return nil, fmt.Errorf("ExecTask %q: %w", command, err)
	}
	if resp.GetResult() == nil {
		return nil, fmt.Errorf("ExecTask %q: reply has no result, which panics a Nomad agent", command)
	}
	return &ExecOutput{Stdout: resp.GetStdout(), Stderr: resp.GetStderr(), ExitCode: resp.GetResult().GetExitCode()}, nil
}

// ExecSession is one ExecTaskStreaming call, driven the way
// `nomad alloc exec` drives it.
type ExecSession struct {
	stream interface {
		Send(*driverpb.ExecTaskStreamingRequest) error
		Recv() (*driverpb.ExecTaskStreamingResponse, error)
		CloseSend() error
	}
	cancel context.CancelFunc

	mu      sync.Mutex
	stdout  bytes.Buffer
	stderr  bytes.Buffer
	result  *driverpb.ExitResult
	err     error
	changed chan struct{}
	done    chan struct{}
}

// ExecStreaming opens the stream and sends setup, first and alone.
func (r *TaskRunner) ExecStreaming(ctx context.Context, tty bool, command ...string) (*ExecSession, error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := r.Driver.Client().ExecTaskStreaming(ctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("ExecTaskStreaming: %w", err)
	}
	setup := &driverpb.ExecTaskStreamingRequest{Setup: &driverpb.ExecTaskStreamingRequest_Setup{
		TaskId: r.ID(), Command: command, Tty: tty,
	}}
	if err := stream.Send(setup); err != nil {
		cancel()
		return nil, fmt.Errorf("ExecTaskStreaming setup: %w", err)
	}

	s := &ExecSession{stream: stream, cancel: cancel, changed: make(chan struct{}), done: make(chan struct{})}
	go s.receive()
	return s, nil
}

// Resize sends a terminal size.
func (s *ExecSession) Resize(height, width int32) error {
	return s.stream.Send(&driverpb.ExecTaskStreamingRequest{
		TtySize: &driverpb.ExecTaskStreamingRequest_TerminalSize{Height: height, Width: width},
	})
}

// Write sends stdin data.
func (s *ExecSession) Write(data string) error {
	return s.stream.Send(&driverpb.ExecTaskStreamingRequest{
		Stdin: &driverpb.ExecTaskStreamingIOOperation{Data: []byte(data)},
	})
}

// Heartbeat sends the empty message the API client sends every 10 s.
func (s *ExecSession) Heartbeat() error {
	return s.stream.Send(&driverpb.ExecTaskStreamingRequest{})
}

// CloseStdin sends stdin close, as at EOF on the user's terminal.
func (s *ExecSession) CloseStdin() error {
	return s.stream.Send(&driverpb.ExecTaskStreamingRequest{
		Stdin: &driverpb.ExecTaskStreamingIOOperation{Close: true},
	})
}

// receive reads frames until the exit frame or the stream's end. Like the
// API client, it takes the first frame with exited and result as the end,
// and treats a frame that also carries output as an output frame.
func (s *ExecSession) receive() {
	defer close(s.done)
	for {
		frame, err := s.stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("stream closed before the exit frame (a Nomad user sees " +
					"\"websocket closed before receiving exit code\")")
			}
			s.finish(nil, err)
			return
		}

		hasOutput := len(frame.GetStdout().GetData()) > 0 || len(frame.GetStderr().GetData()) > 0
		if frame.GetExited() && frame.GetResult() != nil && !hasOutput {
			s.finish(frame.GetResult(), nil)
			return
		}
		s.appendOutput(frame)
	}
}

func (s *ExecSession) appendOutput(frame *driverpb.ExecTaskStreamingResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stdout.Write(frame.GetStdout().GetData())
	s.stderr.Write(frame.GetStderr().GetData())
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *ExecSession) finish(result *driverpb.ExitResult, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.result, s.err = result, err
	close(s.changed)
	s.changed = make(chan struct{})
}

// Output returns stdout and stderr received so far.
func (s *ExecSession) Output() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stdout.String(), s.stderr.String()
}

// WaitForStdout waits until stdout contains text.
func (s *ExecSession) WaitForStdout(ctx context.Context, text string) error {
	for {
		s.mu.Lock()
		found := strings.Contains(s.stdout.String(), text)
		changed := s.changed
		s.mu.Unlock()
		if found {
			return nil
		}
		select {
		case <-changed:
		case <-s.done:
			stdout, _ := s.Output()
			if strings.Contains(stdout, text) {
				return nil
			}
			return fmt.Errorf("exec ended before stdout contained %q; stdout: %q", text, stdout)
		case <-ctx.Done():
			stdout, _ := s.Output()
			return fmt.Errorf("stdout never contained %q: %w; stdout: %q", text, context.Cause(ctx), stdout)
		}
	}
}

// Wait waits for the exit frame and returns the result.
func (s *ExecSession) Wait(ctx context.Context) (*driverpb.ExitResult, error) {
	defer s.cancel()
	select {
	case <-s.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("exec did not exit: %w", context.Cause(ctx))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.result, s.err
}

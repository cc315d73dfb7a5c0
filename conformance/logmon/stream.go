package logmon

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// stream copies one FIFO into one log file.
type stream struct {
	fifoPath string
	logPath  string

	mu      sync.Mutex
	fifo    *os.File      // read end, kept open after EOF as logmon does
	done    chan struct{} // closed when the current copy ends
	copyErr error
	stopped bool
}

func newStream(fifoPath, logPath string) *stream {
	closed := make(chan struct{})
	close(closed)
	return &stream{fifoPath: fifoPath, logPath: logPath, done: closed}
}

// running reports whether a copy is in progress (or waiting in open).
func (s *stream) running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// start begins a copy unless one is already running. A previous read end
// left open after EOF is closed first and the FIFO reopened.
func (s *stream) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running() {
		return nil
	}
	if s.fifo != nil {
		_ = s.fifo.Close()
		s.fifo = nil
	}

	logFile, err := os.OpenFile(s.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log file %s: %w", s.logPath, err)
	}
	s.stopped = false
	s.copyErr = nil
	s.done = make(chan struct{})
	go s.copy(logFile, s.done)
	return nil
}

func (s *stream) copy(logFile *os.File, done chan struct{}) {
	defer close(done)
	defer logFile.Close()

	// A blocking open, like logmon's: it returns once a writer opens.
	fifo, err := os.OpenFile(s.fifoPath, os.O_RDONLY, 0)
	if err != nil {
		s.finish(fmt.Errorf("open fifo %s: %w", s.fifoPath, err))
		return
	}

	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		_ = fifo.Close()
		return
	}
	s.fifo = fifo
	s.mu.Unlock()

	_, err = io.Copy(logFile, fifo)
	if err != nil && !errors.Is(err, os.ErrClosed) {
		s.finish(fmt.Errorf("copy %s to %s: %w", s.fifoPath, s.logPath, err))
	}
}

func (s *stream) finish(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.copyErr = err
}

// stop ends the copy and closes the read end. Bytes already read are in the
// log file when stop returns.
func (s *stream) stop() error {
	s.mu.Lock()
	s.stopped = true
	fifo := s.fifo
	s.fifo = nil
	done := s.done
	s.mu.Unlock()

	if fifo != nil {
		_ = fifo.Close()
		<-done
	} else {
		// The copier may not have reached its blocking open yet, in which
		// case one unblocking open finds no reader: repeat until it ends.
		for finished := false; !finished; {
			unblockOpen(s.fifoPath)
			select {
			case <-done:
				finished = true
			case <-time.After(10 * time.Millisecond):
			}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	return s.copyErr
}

// wait blocks until the current copy ends (the writer closed) or ch fires.
func (s *stream) wait(cancel <-chan struct{}) bool {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	select {
	case <-done:
		return true
	case <-cancel:
		return false
	}
}

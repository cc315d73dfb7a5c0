package logmon

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func newTestLogmon(t *testing.T) *Logmon {
	t.Helper()
	dir := t.TempDir()
	mon, err := New(Paths{
		StdoutFIFO: filepath.Join(dir, ".task.stdout.fifo"),
		StderrFIFO: filepath.Join(dir, ".task.stderr.fifo"),
		StdoutLog:  filepath.Join(dir, "task.stdout.0"),
		StderrLog:  filepath.Join(dir, "task.stderr.0"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mon.Stop() })
	return mon
}

// waitForFile polls a log file until it holds want, or fails after 5s.
func waitForFile(t *testing.T, path, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		data, _ := os.ReadFile(path)
		if string(data) == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s holds %q, want %q", path, data, want)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func openWriter(t *testing.T, path string) *os.File {
	t.Helper()
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestNewCreatesFIFOsWithMode0600(t *testing.T) {
	mon := newTestLogmon(t)
	for _, path := range []string{mon.Paths().StdoutFIFO, mon.Paths().StderrFIFO} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode()&os.ModeNamedPipe == 0 || info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want a FIFO with 0600", path, info.Mode())
		}
	}
}

func TestStartCopiesEachStreamToItsLogFile(t *testing.T) {
	mon := newTestLogmon(t)
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}

	stdout, stderr := openWriter(t, mon.Paths().StdoutFIFO), openWriter(t, mon.Paths().StderrFIFO)
	_, _ = stdout.WriteString("out 1\n")
	_, _ = stderr.WriteString("err 1\n")
	_ = stdout.Close()
	_ = stderr.Close()

	waitForFile(t, mon.Paths().StdoutLog, "out 1\n")
	waitForFile(t, mon.Paths().StderrLog, "err 1\n")
}

func TestStopWhileWaitingForAWriterReturns(t *testing.T) {
	mon := newTestLogmon(t)
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { done <- mon.Stop() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stop blocked while the FIFOs had no writer")
	}
}

// A writer that keeps its own read handle (as the driver's supervisor
// should) loses nothing while logmon is stopped and started again.
func TestRestartWithHeldReadHandleLosesNoBytes(t *testing.T) {
	mon := newTestLogmon(t)
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	held, err := syscall.Open(mon.Paths().StdoutFIFO, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(held)
	stdout := openWriter(t, mon.Paths().StdoutFIFO)
	defer stdout.Close()
	stderr := openWriter(t, mon.Paths().StderrFIFO)
	defer stderr.Close()

	_, _ = stdout.WriteString("before\n")
	waitForFile(t, mon.Paths().StdoutLog, "before\n")

	if err := mon.Stop(); err != nil {
		t.Fatal(err)
	}
	_, _ = stdout.WriteString("while stopped\n")
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	_, _ = stdout.WriteString("after\n")

	waitForFile(t, mon.Paths().StdoutLog, "before\nwhile stopped\nafter\n")
}

func TestStartIsANoOpWhileBothCopiesRun(t *testing.T) {
	mon := newTestLogmon(t)
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	stdout, stderr := openWriter(t, mon.Paths().StdoutFIFO), openWriter(t, mon.Paths().StderrFIFO)
	defer stdout.Close()
	defer stderr.Close()
	_, _ = stdout.WriteString("one\n")
	waitForFile(t, mon.Paths().StdoutLog, "one\n")

	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	_, _ = stdout.WriteString("two\n")
	waitForFile(t, mon.Paths().StdoutLog, "one\ntwo\n")
	if !mon.Running() {
		t.Error("copies stopped after a second Start")
	}
}

func TestStartAfterWriterClosedReopensTheFIFO(t *testing.T) {
	mon := newTestLogmon(t)
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	first := openWriter(t, mon.Paths().StdoutFIFO)
	_, _ = first.WriteString("first writer\n")
	_ = first.Close()
	waitForFile(t, mon.Paths().StdoutLog, "first writer\n")

	deadline := time.Now().Add(5 * time.Second)
	for mon.stdout.running() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if mon.stdout.running() {
		t.Fatal("stdout copy still running after its writer closed")
	}

	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	second := openWriter(t, mon.Paths().StdoutFIFO)
	_, _ = second.WriteString("second writer\n")
	_ = second.Close()
	waitForFile(t, mon.Paths().StdoutLog, "first writer\nsecond writer\n")
}

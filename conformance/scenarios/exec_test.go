package scenarios

import (
	"strings"
	"testing"
	"time"
)

func TestExecTaskReturnsStdoutStderrAndExitCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("sleeper.nomad"), "sleeper")
	if err := waitForLine(ctx, runner.Logmon.Paths().StdoutLog, "ready"); err != nil {
		t.Fatal(err)
	}

	out, err := runner.Exec(ctx, 10*time.Second, "/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 7")
	if err != nil {
		t.Fatal(err)
	}
	if string(out.Stdout) != "to-stdout\n" {
		t.Errorf("stdout = %q, want %q", out.Stdout, "to-stdout\n")
	}
	if string(out.Stderr) != "to-stderr\n" {
		t.Errorf("stderr = %q, want %q", out.Stderr, "to-stderr\n")
	}
	if out.ExitCode != 7 {
		t.Errorf("exit code = %d, want 7", out.ExitCode)
	}
}

func TestExecStreamingWithTTYCarriesStdinResizeAndExitCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("sleeper.nomad"), "sleeper")
	if err := waitForLine(ctx, runner.Logmon.Paths().StdoutLog, "ready"); err != nil {
		t.Fatal(err)
	}

	session, err := runner.ExecStreaming(ctx, true, "/bin/sh")
	if err != nil {
		t.Fatal(err)
	}
	if err := session.Resize(37, 111); err != nil {
		t.Fatal(err)
	}
	if err := session.Heartbeat(); err != nil {
		t.Fatal(err)
	}
	steps := []struct{ input, want string }{
		{"read answer; echo \"got:$answer\"\n", ""},
		{"hello-stdin\n", "got:hello-stdin"},
		{"stty size\n", "37 111"},
	}
	for _, step := range steps {
		if err := session.Write(step.input); err != nil {
			t.Fatal(err)
		}
		if step.want == "" {
			continue
		}
		if err := session.WaitForStdout(ctx, step.want); err != nil {
			t.Fatal(err)
		}
	}
	if err := session.Write("exit 5\n"); err != nil {
		t.Fatal(err)
	}

	result, err := session.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if result.GetExitCode() != 5 {
		t.Errorf("exit code = %d, want 5", result.GetExitCode())
	}
}

func TestExecStreamingWithoutTTYSeparatesStreamsAndEndsOnStdinClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("sleeper.nomad"), "sleeper")
	if err := waitForLine(ctx, runner.Logmon.Paths().StdoutLog, "ready"); err != nil {
		t.Fatal(err)
	}

	session, err := runner.ExecStreaming(ctx, false, "/bin/sh", "-c", "cat; echo to-stderr >&2; exit 4")
	if err != nil {
		t.Fatal(err)
	}
	if err := session.Write("line one\n"); err != nil {
		t.Fatal(err)
	}
	if err := session.CloseStdin(); err != nil {
		t.Fatal(err)
	}
	result, err := session.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}

	stdout, stderr := session.Output()
	if stdout != "line one\n" || strings.TrimSpace(stderr) != "to-stderr" {
		t.Errorf("stdout = %q, stderr = %q", stdout, stderr)
	}
	if result.GetExitCode() != 4 {
		t.Errorf("exit code = %d, want 4", result.GetExitCode())
	}
}

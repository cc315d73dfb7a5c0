package scenarios

import (
	"testing"
	"time"
)

// A plugin SIGKILLed under a running client: the task keeps running and
// logging, a relaunched plugin recovers it from the persisted handle (no
// msgpack_driver_config, empty task_id), and stop, exit code and logs are
// exactly as if nothing had happened.
func TestRecoverAfterPluginKillKeepsExitAndLogsExact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 90*time.Second)
	agent, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("ticker.nomad"), "ticker")
	paths := runner.Logmon.Paths()
	if err := waitForLine(ctx, paths.StdoutLog, "tick 3"); err != nil {
		t.Fatal(err)
	}

	if err := driver.Crash(); err != nil {
		t.Fatal(err)
	}
	// Ticks written while no plugin runs must still arrive.
	if err := waitForLine(ctx, paths.StdoutLog, "tick 8"); err != nil {
		t.Errorf("the task's output stopped while the plugin was dead: %v", err)
	}

	relaunched, err := agent.Dispense(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relaunched.Shutdown)
	if err := runner.Recover(ctx, relaunched); err != nil {
		t.Fatal(err)
	}
	// A restarted client's logmon hook calls Start again: a no-op while the
	// copies still run, a reopen if they ended.
	if err := runner.Logmon.Start(); err != nil {
		t.Fatal(err)
	}
	if err := waitForLine(ctx, paths.StdoutLog, "tick 12"); err != nil {
		t.Errorf("no output after recovery: %v", err)
	}

	exit, err := runner.Kill(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !exit.Successful() {
		t.Errorf("exit after recovery and SIGTERM = %s, want 0", exit)
	}
	assertTickerLogsExact(t, runner.DrainLogs, paths.StdoutLog, paths.StderrLog)
}

// Logmon stopped and started mid-run (as when the client restarts and its
// logmon has to be relaunched) must not lose or repeat a line.
func TestLogmonRestartMidRunLosesNoLines(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 90*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("ticker.nomad"), "ticker")
	paths := runner.Logmon.Paths()
	if err := waitForLine(ctx, paths.StdoutLog, "tick 3"); err != nil {
		t.Fatal(err)
	}

	if err := runner.Logmon.Stop(); err != nil {
		t.Fatal(err)
	}
	// Give the task time to write while nobody reads (not an assertion:
	// the log contents are checked below).
	time.Sleep(time.Second)
	if err := runner.Logmon.Start(); err != nil {
		t.Fatal(err)
	}
	stdoutBefore := readLog(paths.StdoutLog)
	if _, err := waitForLog(ctx, paths.StdoutLog, "new ticks after the restart", func(s string) bool {
		return len(s) > len(stdoutBefore)+40
	}); err != nil {
		t.Errorf("no output after logmon restarted: %v", err)
	}

	exit, err := runner.Kill(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !exit.Successful() {
		t.Errorf("exit = %s, want 0", exit)
	}
	assertTickerLogsExact(t, runner.DrainLogs, paths.StdoutLog, paths.StderrLog)
}

func assertTickerLogsExact(t *testing.T, drain func() error, stdoutLog, stderrLog string) {
	t.Helper()
	if err := drain(); err != nil {
		t.Fatal(err)
	}
	stdoutLast, err := checkSequence(readLog(stdoutLog), "tick", "ticker: stopping on SIGTERM")
	if err != nil {
		t.Errorf("stdout log: %v", err)
	}
	stderrLast, err := checkSequence(readLog(stderrLog), "tock", "ticker: stopping on SIGTERM")
	if err != nil {
		t.Errorf("stderr log: %v", err)
	}
	if stdoutLast >= 0 && stderrLast >= 0 && stdoutLast != stderrLast {
		t.Errorf("stdout ends at tick %d but stderr at tock %d", stdoutLast, stderrLast)
	}
}

// A client shutting down ends the plugin gracefully (Driver/Shutdown,
// GRPCController/Shutdown, kill) but leaves tasks running; after the
// restart a fresh plugin recovers them.
func TestTasksOutliveAGracefulPluginShutdownAndRecover(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 90*time.Second)
	agent, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("ticker.nomad"), "ticker")
	paths := runner.Logmon.Paths()
	if err := waitForLine(ctx, paths.StdoutLog, "tick 2"); err != nil {
		t.Fatal(err)
	}

	driver.Shutdown()
	if err := waitForLine(ctx, paths.StdoutLog, "tick 6"); err != nil {
		t.Errorf("the task stopped logging when the plugin shut down: %v", err)
	}

	relaunched, err := agent.Dispense(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relaunched.Shutdown)
	if err := runner.Recover(ctx, relaunched); err != nil {
		t.Fatal(err)
	}
	if err := runner.Logmon.Start(); err != nil {
		t.Fatal(err)
	}

	exit, err := runner.Kill(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !exit.Successful() {
		t.Errorf("exit after recovery and SIGTERM = %s, want 0", exit)
	}
	assertTickerLogsExact(t, runner.DrainLogs, paths.StdoutLog, paths.StderrLog)
}

package scenarios

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHelloExampleLogsToStdoutAndStderrAndExitsZero(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 90*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile(filepath.Join(examplesDir, "jobs", "hello.nomad")), "hello")
	exit, err := runner.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !exit.Successful() {
		t.Errorf("exit = %s, want success", exit)
	}

	if err := runner.DrainLogs(); err != nil {
		t.Fatal(err)
	}
	paths := runner.Logmon.Paths()
	if got, want := readLog(paths.StdoutLog), "hello from hello on stdout\ndone\n"; got != want {
		t.Errorf("stdout log = %q, want %q", got, want)
	}
	if got, want := readLog(paths.StderrLog), "hello from hello on stderr\n"; got != want {
		t.Errorf("stderr log = %q, want %q", got, want)
	}
}

func TestHelloFailExampleExitsThreeAndLogsBothStreams(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 90*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile(filepath.Join(examplesDir, "jobs", "hello-fail.nomad")), "hello")
	exit, err := runner.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if exit.Result.GetExitCode() != 3 || exit.Successful() {
		t.Errorf("exit = %s, want exit_code=3 and a failure", exit)
	}

	if err := runner.DrainLogs(); err != nil {
		t.Fatal(err)
	}
	paths := runner.Logmon.Paths()
	if got := readLog(paths.StdoutLog); got != "about to fail on stdout\n" {
		t.Errorf("stdout log = %q", got)
	}
	if got := readLog(paths.StderrLog); got != "about to fail on stderr\n" {
		t.Errorf("stderr log = %q", got)
	}
}

func TestServiceExampleTicksAndStopsCleanlyOnItsKillSignal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 90*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile(filepath.Join(examplesDir, "jobs", "service.nomad")), "ticker")
	if err := waitForLine(ctx, runner.Logmon.Paths().StdoutLog, "tick 1"); err != nil {
		t.Fatal(err)
	}

	exit, err := runner.Kill(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !exit.Successful() {
		t.Errorf("exit after kill_signal SIGTERM = %s, want 0 (the task traps SIGTERM and exits 0)", exit)
	}
	if err := runner.DrainLogs(); err != nil {
		t.Fatal(err)
	}
	content := readLog(runner.Logmon.Paths().StdoutLog)
	if !strings.Contains(content, "ticker: got SIGTERM after") {
		t.Errorf("stdout log lacks the SIGTERM trap's line: %q", tail(content, 300))
	}
}

// Every example job must start through the served schema and log.
func TestEveryExampleJobStartsAndItsOutputReachesTheLogFiles(t *testing.T) {
	t.Parallel()
	jobs, err := filepath.Glob(filepath.Join(examplesDir, "jobs", "*.nomad"))
	if err != nil || len(jobs) == 0 {
		t.Fatalf("no example jobs: %v", err)
	}

	for _, path := range jobs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := testContext(t, 90*time.Second)
			_, driver := e.startAgent(ctx, nil)
			job := e.jobFile(path)

			// One allocation per group, its tasks started in file order,
			// as Nomad does: a sidecar with network_mode = "task:<main>"
			// finds its main task's container in the same allocation.
			for _, group := range job.Groups {
				alloc := e.prepareAlloc(job, group.Name)
				for _, task := range group.Tasks {
					runner := e.allocTask(alloc, task.Name)
					if err := runner.Start(ctx, driver); err != nil {
						t.Fatalf("start task %q: %v", task.Name, err)
					}
					if _, err := waitForLog(ctx, runner.Logmon.Paths().StdoutLog, "any output",
						func(s string) bool { return s != "" }); err != nil {
						t.Errorf("task %q: %v", task.Name, err)
					}
				}
			}
		})
	}
}

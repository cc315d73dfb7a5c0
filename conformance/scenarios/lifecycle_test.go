package scenarios

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nomad-driver-container/conformance/harness"
)

func TestStopKillsATaskThatIgnoresSIGTERMAfterTheTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 90*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("ignore-term.nomad"), "stubborn")
	stdout := runner.Logmon.Paths().StdoutLog
	if err := waitForLine(ctx, stdout, "ready"); err != nil {
		t.Fatal(err)
	}

	const timeout = 2 * time.Second
	began := time.Now()
	if err := runner.Stop(ctx, timeout, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	exit, err := runner.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(began)

	if exit.Result.GetExitCode() != 137 {
		t.Errorf("exit = %s, want exit_code=137 (killed after ignoring SIGTERM)", exit)
	}
	if elapsed < timeout-200*time.Millisecond {
		t.Errorf("task ended %s after StopTask, before its %s timeout: it was not given the grace period", elapsed, timeout)
	}
	if err := waitForLine(ctx, stdout, "ignoring SIGTERM"); err != nil {
		t.Errorf("SIGTERM never reached the task before the kill: %v", err)
	}
}

func TestSignalTaskDeliversSIGUSR1ToATaskThatTrapsIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("trap-usr1.nomad"), "listener")
	stdout := runner.Logmon.Paths().StdoutLog
	if err := waitForLine(ctx, stdout, "ready"); err != nil {
		t.Fatal(err)
	}
	if hasLine(readLog(stdout), "got SIGUSR1") {
		t.Fatal("the trap line is there before any signal was sent")
	}

	if err := runner.Signal(ctx, "SIGUSR1"); err != nil {
		t.Fatal(err)
	}
	if err := waitForLine(ctx, stdout, "got SIGUSR1"); err != nil {
		t.Error(err)
	}
}

// The client waits on one task from several places at once, and again
// after it has exited; every wait must get the same result.
func TestWaitTaskAnswersConcurrentAndLateWaitsAlike(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 90*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile(examplesDir+"/jobs/hello-fail.nomad"), "hello")
	exits := make([]harness.Exit, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range exits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			exits[i], errs[i] = runner.Wait(ctx)
		}()
	}
	wg.Wait()

	late, err := runner.Wait(ctx)
	if err != nil {
		t.Fatalf("late wait: %v", err)
	}
	for i := range exits {
		if errs[i] != nil {
			t.Errorf("wait %d: %v", i, errs[i])
		} else if exits[i].Result.GetExitCode() != 3 {
			t.Errorf("wait %d: %s, want exit_code=3", i, exits[i])
		}
	}
	if late.Result.GetExitCode() != 3 {
		t.Errorf("late wait: %s, want exit_code=3", late)
	}
}

// The client answers an unknown task ID's stop or destroy with retries it
// cannot tell from failure, so both must succeed.
func TestStopAndDestroyOfAnUnknownTaskSucceed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 30*time.Second)
	_, driver := e.startAgent(ctx, nil)

	unknown := "00000000-0000-0000-0000-000000000000/ghost/deadbeef"
	if err := stopUnknown(ctx, driver, unknown); err != nil {
		t.Errorf("StopTask on an unknown ID: %v", err)
	}
	if err := destroyUnknown(ctx, driver, unknown); err != nil {
		t.Errorf("DestroyTask on an unknown ID: %v", err)
	}
}

func TestDriverEventsAreRoutedToTheTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile(examplesDir+"/jobs/hello.nomad"), "hello")
	if _, err := runner.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	for _, event := range driver.Events.Items() {
		if event.GetAllocId() == "" || event.GetTaskName() == "" {
			t.Errorf("event %q lacks alloc_id or task_name, so the client cannot route it", event.GetMessage())
		}
		if event.GetTimestamp() == nil {
			t.Errorf("event %q has no timestamp; the client would date it 1970", event.GetMessage())
		}
	}
	for _, event := range runner.Events() {
		if strings.TrimSpace(event.GetMessage()) == "" {
			t.Errorf("event with an empty message: %v", event)
		}
	}
}

func stopUnknown(ctx context.Context, driver *harness.Driver, id string) error {
	runner := &harness.TaskRunner{Driver: driver, Handle: unknownHandle(id)}
	return runner.Stop(ctx, time.Second, "SIGTERM")
}

func destroyUnknown(ctx context.Context, driver *harness.Driver, id string) error {
	runner := &harness.TaskRunner{Driver: driver, Handle: unknownHandle(id)}
	return runner.Destroy(ctx)
}

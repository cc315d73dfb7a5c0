package scenarios

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nomad-driver-container/conformance/harness"
)

// Fifty tasks land at once, as when a node takes a large job: every one
// starts, runs, stops with its exit code and is destroyed, with no container
// lost, doubled or left behind, and registry logins for one host never
// overlap (Apple's CLI keeps one login per host for the whole user).
func TestFiftyTasksStartRunStopAndAreDestroyedAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 4*time.Minute)
	// A slower pull widens the window in which starts overlap.
	e.writeKnobs(map[string]any{"latency_ms": map[string]int{"image pull": 200}})
	_, driver := e.startAgent(ctx, nil)

	const tasks, private = 50, 10
	runners := make([]*harness.TaskRunner, tasks)
	for i := range runners {
		name := "public"
		if i < private {
			name = "private"
		}
		runners[i] = e.prepareTask(e.jobFile("crowd.nomad"), name)
	}

	all := func(what string, step func(*harness.TaskRunner) error) {
		t.Helper()
		for i, err := range forEachAtOnce(runners, step) {
			if err != nil {
				t.Fatalf("%s, task %d (%s): %v", what, i, runners[i].Task.Name, err)
			}
		}
	}

	all("start", func(r *harness.TaskRunner) error { return r.Start(ctx, driver) })
	all("ready", func(r *harness.TaskRunner) error {
		return waitForLine(ctx, r.Logmon.Paths().StdoutLog, "ready")
	})
	for i, runner := range runners {
		if found := e.containersOf(ctx, runner); len(found) != 1 {
			t.Errorf("task %d has %d containers, want 1", i, len(found))
		}
	}

	all("stop", func(r *harness.TaskRunner) error {
		if err := r.Stop(ctx, 5*time.Second, "SIGTERM"); err != nil {
			return err
		}
		exit, err := r.Wait(ctx)
		if err != nil {
			return err
		}
		if exit.Result.GetExitCode() != 143 {
			return fmt.Errorf("exit %s, want 143 (SIGTERM)", exit)
		}
		return nil
	})
	all("destroy", func(r *harness.TaskRunner) error { return r.Destroy(ctx) })
	for i, runner := range runners {
		if found := e.containersOf(ctx, runner); len(found) != 0 {
			t.Errorf("task %d left %d containers after destroy", i, len(found))
		}
	}

	// Logins and logouts for the private host alternate: one at a time.
	var sequence []string
	for _, call := range e.calls() {
		if len(call.Argv) >= 2 && call.Argv[0] == "registry" &&
			(call.Argv[1] == "login" || call.Argv[1] == "logout") &&
			call.Argv[len(call.Argv)-1] == privateHost {
			sequence = append(sequence, call.Argv[1])
		}
	}
	if len(sequence) < 2*private {
		t.Errorf("%d login/logout calls for %d private starts with force_pull: %v",
			len(sequence), private, sequence)
	}
	for i, verb := range sequence {
		want := "login"
		if i%2 == 1 {
			want = "logout"
		}
		if verb != want {
			t.Fatalf("registry calls overlap at call %d: %v", i, sequence)
		}
	}
}

// forEachAtOnce runs step for every runner at the same time and returns
// each one's error, in the runners' order.
func forEachAtOnce(runners []*harness.TaskRunner, step func(*harness.TaskRunner) error) []error {
	errs := make([]error, len(runners))
	var wg sync.WaitGroup
	for i, runner := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = step(runner)
		}()
	}
	wg.Wait()
	return errs
}

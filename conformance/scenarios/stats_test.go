package scenarios

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nomad-driver-container/conformance/harness"
	driverpb "github.com/nomad-driver-container/conformance/proto/drivers"
)

func TestTaskStatsStreamsUsageWithTimestamps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	// The stand-in samples twice per one-shot `stats`, 2s apart like Apple's
	// CLI; shorten that so the test stays quick.
	e.writeKnobs(map[string]any{"stats_interval_ms": 200})
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("sleeper.nomad"), "sleeper")
	if err := waitForLine(ctx, runner.Logmon.Paths().StdoutLog, "ready"); err != nil {
		t.Fatal(err)
	}

	const ticks = 3
	messages, err := runner.CollectStats(ctx, 500*time.Millisecond, ticks)
	if err != nil {
		t.Fatal(err)
	}
	var previous time.Time
	for i, msg := range messages {
		stats := msg.GetStats()
		if stats.GetAggResourceUsage() == nil {
			t.Errorf("message %d has no agg_resource_usage: a Nomad agent dereferences it and panics", i)
		}
		if stats.GetTimestamp() == nil {
			t.Errorf("message %d has no timestamp: the client drops the sample", i)
			continue
		}
		at := stats.GetTimestamp().AsTime()
		if at.Before(previous) {
			t.Errorf("message %d timestamp %s is before the previous %s", i, at, previous)
		}
		previous = at
	}
	memory := messages[len(messages)-1].GetStats().GetAggResourceUsage().GetMemory()
	if len(memory.GetMeasuredFields()) == 0 {
		t.Errorf("memory usage lists no measured_fields, so the CLI shows none of it: %v", memory)
	}
}

// The driver answers every TaskStats stream from one shared sampler: one
// `container stats` call per tick covers every task, however many there are.
// A design that asks the CLI once per task per tick would make 20 per tick.
func TestStatsForTwentyTasksCostOneCLICallPerTick(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 3*time.Minute)
	e.writeKnobs(map[string]any{"stats_interval_ms": 200})
	_, driver := e.startAgent(ctx, nil)

	const tasks = 20
	runners := make([]*harness.TaskRunner, tasks)
	for i := range runners {
		runners[i] = e.startTask(ctx, driver, e.jobFile("sleeper.nomad"), "sleeper")
	}
	for _, runner := range runners {
		if err := waitForLine(ctx, runner.Logmon.Paths().StdoutLog, "ready"); err != nil {
			t.Fatal(err)
		}
	}

	const interval = 500 * time.Millisecond
	const ticks = 10
	windowStart := time.Now()
	results := make(map[*harness.TaskRunner][]*driverpb.TaskStatsResponse, tasks)
	var resultsMu sync.Mutex
	errs := forEachAtOnce(runners, func(runner *harness.TaskRunner) error {
		messages, err := runner.CollectStats(ctx, interval, ticks)
		resultsMu.Lock()
		defer resultsMu.Unlock()
		results[runner] = messages
		return err
	})
	window := time.Since(windowStart)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("task %d: %v", i, err)
		}
	}

	var statsCalls int
	for _, call := range e.calls() {
		at := time.UnixMilli(call.TS)
		if len(call.Argv) == 0 || call.Argv[0] != "stats" || at.Before(windowStart) {
			continue
		}
		statsCalls++
		if want := []string{"stats", "--no-stream", "--format", "json"}; !slices.Equal(call.Argv, want) {
			t.Errorf("stats call %q names containers; one call must cover all", call.Argv)
		}
	}
	// The sampler runs at the fastest interval asked for, so the window holds
	// at most one call per interval, plus the one in flight at either edge.
	limit := int(window/interval) + 2
	t.Logf("%d tasks, %s window at %s: %d stats calls (a per-task design: %d)",
		tasks, window.Round(time.Millisecond), interval, statsCalls, tasks*int(window/interval))
	if statsCalls == 0 || statsCalls > limit {
		t.Errorf("%d stats calls in %s for %d tasks; want between 1 and %d", statsCalls, window, tasks, limit)
	}

	// Each stream carried its own task's figures from the shared sample (the
	// first messages may precede the first sample on a loaded machine).
	for i, runner := range runners {
		measured := slices.ContainsFunc(results[runner], func(msg *driverpb.TaskStatsResponse) bool {
			memory := msg.GetStats().GetAggResourceUsage().GetMemory()
			return memory.GetUsage() > 0 && len(memory.GetMeasuredFields()) > 0
		})
		if !measured {
			t.Errorf("task %d: no message with measured memory in %d", i, len(results[runner]))
		}
	}
}

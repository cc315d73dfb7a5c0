package scenarios

import (
	"testing"
	"time"
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

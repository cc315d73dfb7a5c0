package scenarios

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nomad-driver-container/conformance/harness"
)

// An OOM kill shows as exit 137, the same as any SIGKILL. The driver reports
// oom_killed only with the guest kernel's own report in the boot log.
func TestOOMKillIsReportedAndAPlainSIGKILLIsNot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 90*time.Second)
	_, driver := e.startAgent(ctx, nil)

	hungry := e.startTask(ctx, driver, e.jobFile("sleeper.nomad"), "sleeper")
	killed := e.startTask(ctx, driver, e.jobFile("sleeper.nomad"), "sleeper")
	for _, runner := range []*harness.TaskRunner{hungry, killed} {
		if err := waitForLine(ctx, runner.Logmon.Paths().StdoutLog, "ready"); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := e.runCLI(ctx, "", "__simulate-oom", e.containerOf(ctx, hungry).ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.runCLI(ctx, "", "kill", "--signal", "KILL", e.containerOf(ctx, killed).ID); err != nil {
		t.Fatal(err)
	}

	oomExit, err := hungry.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if oomExit.Result.GetExitCode() != 137 || !oomExit.Result.GetOomKilled() {
		t.Errorf("OOM-killed task: %s; want exit_code=137 oom_killed=true", oomExit)
	}
	event, err := waitForEvent(ctx, hungry, "OOM Killed:", 10*time.Second)
	if err != nil {
		t.Fatalf("no OOM event for the task: %v (events: %q)", err, eventMessages(hungry))
	}
	if !strings.Contains(event.GetMessage(), "Killed process") {
		t.Errorf("OOM event %q does not quote the kernel's report", event.GetMessage())
	}
	if got := eventMessages(killed); slices.ContainsFunc(got, isOOMEvent) {
		t.Errorf("the plainly killed task got an OOM event: %q", got)
	}

	killExit, err := killed.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if killExit.Result.GetExitCode() != 137 || killExit.Result.GetOomKilled() {
		t.Errorf("task ended by `container kill --signal KILL`: %s; want exit_code=137 oom_killed=false", killExit)
	}
}

func isOOMEvent(message string) bool { return strings.HasPrefix(message, "OOM Killed") }

package scenarios

import (
	"strings"
	"testing"
	"time"
)

// With the image already in the local store, force_pull still pulls it;
// without force_pull it is not pulled again.
func TestForcePullPullsAPresentImageAndItsAbsenceDoesNot(t *testing.T) {
	t.Parallel()
	cases := []struct {
		task       string
		wantPulls  int
		wantOutput string
	}{
		{"forced", 1, "forced ran"},
		{"unforced", 0, "unforced ran"},
	}
	for _, c := range cases {
		t.Run(c.task, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := testContext(t, 60*time.Second)
			if _, err := e.runCLI(ctx, "", "image", "pull", "alpine:3.20"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.runCLI(ctx, "", "image", "inspect", "alpine:3.20"); err != nil {
				t.Fatalf("the image is not present after the test's own pull: %v", err)
			}
			_, driver := e.startAgent(ctx, nil)
			before := len(e.calls())

			runner := runToSuccess(ctx, t, e, driver, e.jobFile("force-pull.nomad"), c.task)
			if got := readLog(runner.Logmon.Paths().StdoutLog); !hasLine(got, c.wantOutput) {
				t.Errorf("stdout = %q, want the line %q", got, c.wantOutput)
			}

			var pulls []string
			for _, call := range e.calls()[before:] {
				if isImagePull(call) {
					pulls = append(pulls, strings.Join(call.Argv, " "))
				}
			}
			t.Logf("pulls by the plugin: %q", pulls)
			if len(pulls) != c.wantPulls {
				t.Errorf("the plugin ran %d image pulls %q, want %d", len(pulls), pulls, c.wantPulls)
			}
			for _, pull := range pulls {
				if !strings.Contains(pull, "alpine:3.20") {
					t.Errorf("pull %q is not of the task's image", pull)
				}
			}
			_, err := waitForEvent(ctx, runner, "Downloading image", time.Second)
			if c.wantPulls > 0 && err != nil {
				t.Errorf("force_pull gave no \"Downloading image\" event: %q", eventMessages(runner))
			}
			if c.wantPulls == 0 && err == nil {
				t.Errorf("a present image without force_pull still gave a \"Downloading image\" event")
			}
		})
	}
}

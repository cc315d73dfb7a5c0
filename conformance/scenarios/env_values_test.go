package scenarios

import (
	"strings"
	"testing"
	"time"
)

// Values with `=`, quotes, unicode, surrounding spaces, a leading `#`,
// backslashes, tabs and `$` reach the task byte for byte, from the
// config's env and from Nomad's task env alike.
func TestAwkwardEnvValuesReachTheTaskExactly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := runToSuccess(ctx, t, e, driver, e.jobFile("env-awkward.nomad"), "awkward")
	output := readLog(runner.Logmon.Paths().StdoutLog)

	want := []string{
		"EQUALS=[a=b==c=]",
		"LEADING_EQUALS=[=starts with equals]",
		"QUOTES=[say \"hi\" and 'bye' and `tick`]",
		"UNICODE=[grüße, 日本語, emoji 🚀, ÅÄÖ]",
		"SPACES=[  leading and trailing  ]",
		"ONLY_SPACE=[ ]",
		"HASH=[#not a comment]",
		`BACKSLASH=[C:\temp\new \n]`,
		"TAB=[col1\tcol2]",
		"DOLLAR=[$HOME $(id) $1 $$]",
		"TASK_QUOTES=[task env \"double\" and 'single']",
		"TASK_SPACES=[   task env padded   ]",
		"EMPTY is set and empty",
	}
	for _, line := range want {
		if !hasLine(output, line) {
			t.Errorf("task output lacks %q", line)
		}
	}
	if t.Failed() {
		t.Logf("task stdout:\n%s", output)
	}
}

// Apple's env-file format cannot carry a line break inside a value: the
// start is refused naming the variable, and the value is never echoed —
// not in the error, the plugin's log or a task event.
func TestEnvValueWithANewlineIsRefusedNamingTheVariableWithoutItsValue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		task, variable string
		valueParts     []string
	}{
		{"newline-in-config-env", "MULTI_LINE", []string{"visible-first-line-9c1e", "hidden-second-line-4b7d"}},
		{"newline-in-task-env", "TASK_MULTI", []string{"task-first-line-5a2f", "task-second-line-8e3c"}},
	}
	for _, c := range cases {
		t.Run(c.task, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := testContext(t, 60*time.Second)
			_, driver := e.startAgent(ctx, nil)

			runner := e.prepareTask(e.jobFile("env-awkward.nomad"), c.task)
			se := startError(t, "an env value with a newline", runner.Start(ctx, driver))
			t.Logf("refusal: %v", se)
			if !strings.Contains(se.Error(), c.variable) {
				t.Errorf("error does not name %s: %v", c.variable, se)
			}
			if se.Recoverable {
				t.Errorf("a value that cannot be carried is a config problem, yet the error is recoverable: %v", se)
			}
			// Give the plugin's log and event stream a moment to flush.
			time.Sleep(200 * time.Millisecond)
			pluginLog := readLog(e.pluginLog)
			events := strings.Join(eventMessages(runner), "\n")
			for _, part := range c.valueParts {
				if strings.Contains(se.Error(), part) {
					t.Errorf("the error echoes the value (%q): %v", part, se)
				}
				if strings.Contains(pluginLog, part) {
					t.Errorf("the plugin's log echoes the value (%q)", part)
				}
				if strings.Contains(events, part) {
					t.Errorf("a task event echoes the value (%q): %s", part, events)
				}
			}
			if left := e.containersOf(ctx, runner); len(left) != 0 {
				t.Errorf("a refused start left %d containers behind", len(left))
			}
		})
	}
}

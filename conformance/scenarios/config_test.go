package scenarios

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomad-driver-container/conformance/harness"
	"github.com/nomad-driver-container/conformance/hclconfig"
)

func TestInvalidPluginConfigFailsNamingTheKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		config string
		key    string
		// decodeError: the agent's own HCL decode refuses it; otherwise the
		// plugin's SetConfig must.
		decodeError bool
	}{
		{"wrong type", `image_pull_timeout = ["5m"]`, "image_pull_timeout", true},
		{"unknown key", `container_pth = "/usr/local/bin/container"`, "container_pth", true},
		{"wrong type in block", "gc {\n container = \"sometimes\"\n}", "container", true},
		{"bad duration", `image_pull_timeout = "five minutes"`, "image_pull_timeout", false},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := testContext(t, 60*time.Second)
			label := filepath.Base(e.pluginBin)
			cfg := e.agentConfig("plugin \"" + label + "\" {\n config {\n" + c.config + "\n }\n}\n")

			_, driver, err := harness.StartAgent(ctx, e.agentOptions(cfg))
			if err == nil {
				driver.Shutdown()
				t.Fatalf("agent started with plugin config %s", c.config)
			}
			var decodeErr *hclconfig.DecodeError
			if isDecode := errors.As(err, &decodeErr); isDecode != c.decodeError {
				t.Errorf("decode error = %t, want %t: %v", isDecode, c.decodeError, err)
			}
			if !strings.Contains(err.Error(), c.key) {
				t.Errorf("error does not name %q: %v", c.key, err)
			}
		})
	}
}

func TestInvalidTaskConfigFailsNamingTheKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 90*time.Second)
	_, driver := e.startAgent(ctx, nil)
	job := e.jobFile("invalid.nomad")

	cases := []struct {
		task       string
		key        string
		validation bool // refused by the client's decode, before StartTask
	}{
		{"wrong-type", "args", true},
		{"unknown-key", "entry_point", true},
		{"missing-image", "image", true},
		{"empty-image", "image", false},
	}
	for _, c := range cases {
		runner := e.prepareTask(job, c.task)
		err := runner.Start(ctx, driver)
		if err == nil {
			t.Errorf("task %q started", c.task)
			continue
		}
		if harness.IsValidation(err) != c.validation {
			t.Errorf("task %q: validation error = %t, want %t: %v", c.task, harness.IsValidation(err), c.validation, err)
		}
		if !strings.Contains(err.Error(), `"`+c.key+`"`) && !strings.Contains(err.Error(), c.key) {
			t.Errorf("task %q: error does not name %q: %v", c.task, c.key, err)
		}
	}
}

func TestLabelsAndEnvWorkInBlockAndAttributeForms(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 90*time.Second)
	_, driver := e.startAgent(ctx, nil)
	job := e.jobFile("forms.nomad")

	want := map[string]struct{ env, label string }{
		"block-labels":     {"FORM_ENV=from-attribute", "block"},
		"attribute-labels": {"FORM_ENV=from-block", "attribute"},
	}
	for task, expect := range want {
		runner := e.startTask(ctx, driver, job, task)
		if err := waitForLine(ctx, runner.Logmon.Paths().StdoutLog, expect.env); err != nil {
			t.Errorf("task %q: %v", task, err)
		}
	}

	seen := map[string]bool{}
	for _, c := range e.listContainers(ctx) {
		seen[c.Configuration.Labels["form"]] = true
	}
	for task, expect := range want {
		if !seen[expect.label] {
			t.Errorf("task %q: no container carries label form=%q", task, expect.label)
		}
	}
}

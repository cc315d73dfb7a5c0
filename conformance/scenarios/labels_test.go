package scenarios

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nomad-driver-container/conformance/harness"
)

// extra_labels globs select which Nomad metadata becomes nomad.<key>
// labels: "job_*" gives job_name and job_id, "task_name" itself, and
// nothing else (node_name, node_id, namespace, task_group_name) appears.
// The driver's ownership labels and the task's own labels are there too.
func TestExtraLabelsGlobsSelectNomadMetadataAlongsideUserLabels(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	cfg := e.agentConfig(fmt.Sprintf(
		"plugin %q {\n config {\n extra_labels = [\"job_*\", \"task_name\"]\n }\n}\n", pluginLabel(e)))
	_, driver := e.startAgent(ctx, cfg)

	runner := e.startTask(ctx, driver, e.jobFile("labels-glob.nomad"), "labelled")
	labels := e.containerOf(ctx, runner).Configuration.Labels
	t.Logf("labels: %v", labels)

	want := map[string]string{
		"nomad.job_name":  "labels-glob-name",
		"nomad.job_id":    "labels-glob",
		"nomad.task_name": "labelled",
		"nomad.alloc_id":  runner.Alloc.ID,
		"nomad.driver":    "nomad-driver-container",
		// Always set: dangling-container cleanup keeps to its own node.
		"nomad.node_id": runner.Handle.GetConfig().GetNodeId(),
		"team":          "web",
		"tier":          "frontend",
	}
	for key, value := range want {
		if got, ok := labels[key]; !ok || got != value {
			t.Errorf("label %s = %q (present=%t), want %q", key, got, ok, value)
		}
	}
	for _, key := range []string{"nomad.node_name", "nomad.namespace", "nomad.task_group_name"} {
		if value, ok := labels[key]; ok {
			t.Errorf("label %s=%q is present, but no extra_labels glob matches %q", key, value, key[len("nomad."):])
		}
	}
}

// An extra_labels pattern that is not a valid glob is a plugin config
// error, refused when the agent loads the plugin (as a bad
// image_pull_timeout is): accepted there, it would leave a healthy-looking
// client on which every task fails at start for good.
func TestInvalidExtraLabelsGlobIsRefusedWhenTheAgentLoadsThePlugin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	cfg := e.agentConfig(fmt.Sprintf("plugin %q {\n config {\n extra_labels = [\"job_[\"]\n }\n}\n", pluginLabel(e)))

	_, driver, err := harness.StartAgent(ctx, e.agentOptions(cfg))
	if err != nil {
		t.Logf("refusal: %v", err)
		if !strings.Contains(err.Error(), "extra_labels") {
			t.Errorf("error does not name extra_labels: %v", err)
		}
		return
	}
	t.Cleanup(driver.Shutdown)
	runner := e.prepareTask(e.jobFile("labels-glob.nomad"), "labelled")
	startErr := runner.Start(ctx, driver)
	t.Errorf("the agent loaded the plugin with extra_labels = [\"job_[\"]; the mistake shows only "+
		"at each task's start: %v", startErr)
}

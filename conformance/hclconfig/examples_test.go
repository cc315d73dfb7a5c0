package hclconfig

import (
	"path/filepath"
	"testing"

	"github.com/zclconf/go-cty/cty"

	fx "github.com/nomad-driver-container/conformance/internal/specfixture"
	"github.com/nomad-driver-container/conformance/schema"
)

const examplesDir = "../../examples"

func TestParseAgentConfigReadsTheExampleClient(t *testing.T) {
	cfg, err := ParseAgentConfig(filepath.Join(examplesDir, "nomad", "client.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PluginDir == "" {
		t.Error("plugin_dir is empty")
	}
	if !cfg.PublishAllocationMetrics {
		t.Error("telemetry.publish_allocation_metrics is not true")
	}
	block, ok := cfg.Plugins["nomad-driver-container"]
	if !ok || block.Config == nil {
		t.Fatalf("no plugin \"nomad-driver-container\" block with config: %#v", cfg.Plugins)
	}

	spec, err := schema.Convert(fx.PluginConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeAndEncode(block.Config, spec, nil); err != nil {
		t.Errorf("example plugin config does not fit the documented schema: %v", err)
	}
}

func TestExampleJobsDecodeAgainstTheDocumentedTaskSchema(t *testing.T) {
	jobs, err := filepath.Glob(filepath.Join(examplesDir, "jobs", "*.nomad"))
	if err != nil || len(jobs) == 0 {
		t.Fatalf("no example jobs found: %v", err)
	}
	spec, err := schema.Convert(fx.TaskConfig())
	if err != nil {
		t.Fatal(err)
	}

	for _, path := range jobs {
		job, err := ParseJob(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		for _, group := range job.Groups {
			for _, task := range group.Tasks {
				if task.Driver != "container" {
					t.Errorf("%s: task %q uses driver %q", path, task.Name, task.Driver)
				}
				vars := map[string]cty.Value{"NOMAD_TASK_NAME": cty.StringVal(task.Name)}
				if _, err := DecodeAndEncode(task.Config, spec, vars); err != nil {
					t.Errorf("%s: task %q: %v", path, task.Name, err)
				}
			}
		}
	}
}

func TestParseJobAppliesNomadDefaults(t *testing.T) {
	job, err := ParseJob(filepath.Join(examplesDir, "jobs", "service.nomad"))
	if err != nil {
		t.Fatal(err)
	}
	if job.Namespace != "default" || job.Type != "service" || job.Name != "service" {
		t.Errorf("job = %+v", job)
	}
	_, task, ok := job.Task("ticker")
	if !ok {
		t.Fatal("no ticker task")
	}
	if task.KillSignal != "SIGTERM" || task.KillTimeout.Seconds() != 10 {
		t.Errorf("kill_signal=%q kill_timeout=%s", task.KillSignal, task.KillTimeout)
	}
	if len(job.Groups[0].Ports) != 1 || job.Groups[0].Ports[0].To != 8080 {
		t.Errorf("ports = %+v", job.Groups[0].Ports)
	}
}

package hclconfig

import (
	"os"
	"path/filepath"
	"testing"
)

func writeJob(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "job.nomad")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParseJobKeepsEnvReferencesForTheClient(t *testing.T) {
	job, err := ParseJob(writeJob(t, `
job "j" {
  group "g" {
    task "t" {
      driver = "container"
      env {
        DATA = "${NOMAD_TASK_DIR}/data"
      }
      meta = {
        owner = "team-${NOMAD_JOB_NAME}"
      }
      config {
        image = "alpine:3.20"
      }
    }
  }
}
`))
	if err != nil {
		t.Fatal(err)
	}
	_, task, _ := job.Task("t")
	if got := task.Env["DATA"]; got != "${NOMAD_TASK_DIR}/data" {
		t.Errorf("env DATA = %q, want the reference kept", got)
	}
	if got := task.Meta["owner"]; got != "team-${NOMAD_JOB_NAME}" {
		t.Errorf("meta owner = %q, want the reference kept", got)
	}
}

func TestParseJobRefusesAJobWithoutTasks(t *testing.T) {
	if _, err := ParseJob(writeJob(t, `job "j" { group "g" {} }`)); err == nil {
		t.Fatal("a group without tasks parsed")
	}
}

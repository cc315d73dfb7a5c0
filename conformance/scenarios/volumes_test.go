package scenarios

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomad-driver-container/conformance/harness"
	"github.com/nomad-driver-container/conformance/hclconfig"
)

// volumesJob is the volumes job with its absolute source set to hostDir.
func volumesJob(e *testEnv, hostDir string) *hclconfig.Job {
	return e.jobFromTemplate("volumes.nomad", map[string]string{"HOST_DIR": hostDir})
}

func volumesEnabledConfig(e *testEnv) *hclconfig.AgentConfig {
	return e.agentConfig(fmt.Sprintf("plugin %q {\n config {\n volumes {\n enabled = true\n }\n }\n}\n", pluginLabel(e)))
}

// runToSuccess starts a task and waits for a successful exit.
func runToSuccess(ctx context.Context, t *testing.T, e *testEnv, driver *harness.Driver, job *hclconfig.Job, task string) *harness.TaskRunner {
	t.Helper()
	runner := e.startTask(ctx, driver, job, task)
	exit, err := runner.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.DrainLogs(); err != nil {
		t.Fatal(err)
	}
	if !exit.Successful() {
		paths := runner.Logmon.Paths()
		t.Fatalf("task %q: exit = %s, want success; stdout %q stderr %q", task, exit,
			tail(readLog(paths.StdoutLog), 300), tail(readLog(paths.StderrLog), 300))
	}
	return runner
}

// The stand-in bind-mounts in a private mount namespace only as root, so
// what the task writes reaches the host only then.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the stand-in applies bind mounts only when running as root")
	}
}

// A relative source lives in the task directory: what the task writes to
// /data/x is <alloc>/<task>/data/x on the host.
func TestRelativeVolumeLivesInTheTaskDirectory(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := runToSuccess(ctx, t, e, driver, volumesJob(e, t.TempDir()), "relative")
	hostFile := filepath.Join(runner.Alloc.Dir.TaskDir("relative"), "data", "x")
	data, err := os.ReadFile(hostFile)
	if err != nil {
		t.Fatalf("the task wrote /data/x but %s is not there: %v", hostFile, err)
	}
	if string(data) != "from the task\n" {
		t.Errorf("%s = %q, want %q", hostFile, data, "from the task\n")
	}
}

// ":ro" mounts the source read-only: the task cannot write through it.
func TestReadOnlyVolumeRefusesWrites(t *testing.T) {
	t.Parallel()
	requireRoot(t)
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := runToSuccess(ctx, t, e, driver, volumesJob(e, t.TempDir()), "readonly")
	if out := readLog(runner.Logmon.Paths().StdoutLog); !hasLine(out, "refused") {
		t.Errorf("writing to a :ro volume: stdout %q, want \"refused\"", out)
	}
	if _, err := os.Stat(filepath.Join(runner.Alloc.Dir.TaskDir("readonly"), "data", "y")); err == nil {
		t.Error("the task wrote through a :ro volume")
	}
}

// Host paths outside the task directory are the operator's decision.
func TestAbsoluteVolumeNeedsVolumesEnabledInThePluginConfig(t *testing.T) {
	t.Parallel()

	t.Run("disabled (default)", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ctx := testContext(t, 60*time.Second)
		_, driver := e.startAgent(ctx, nil)
		hostDir := t.TempDir()

		runner := e.prepareTask(volumesJob(e, hostDir), "absolute")
		se := startError(t, "an absolute volume without volumes.enabled", runner.Start(ctx, driver))
		t.Logf("refusal: %v", se)
		if !strings.Contains(se.Error(), "volumes[0]") {
			t.Errorf("error does not name volumes[0]: %v", se)
		}
		if se.Recoverable {
			t.Errorf("a refused host path is a config problem, yet the error is recoverable: %v", se)
		}
		if _, err := os.Stat(filepath.Join(hostDir, "y")); err == nil {
			t.Error("the refused task wrote into the host directory anyway")
		}
	})

	t.Run("enabled", func(t *testing.T) {
		t.Parallel()
		requireRoot(t)
		e := newEnv(t)
		ctx := testContext(t, 60*time.Second)
		_, driver := e.startAgent(ctx, volumesEnabledConfig(e))
		hostDir := t.TempDir()

		runToSuccess(ctx, t, e, driver, volumesJob(e, hostDir), "absolute")
		data, err := os.ReadFile(filepath.Join(hostDir, "y"))
		if err != nil {
			t.Fatalf("the task wrote /hostdata/y but the host directory lacks it: %v", err)
		}
		if string(data) != "through a host path\n" {
			t.Errorf("host file = %q", data)
		}
	})
}

// `..` never leaves the task directory, whatever the operator allows; a
// symlink inside it that points out is refused while host paths are not
// allowed; an unknown mount option is refused.
func TestVolumeSourcesThatLeaveTheTaskDirectoryOrHaveBadOptionsAreRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, task string
		enabled    bool
		key        string
	}{
		{"dotdot", "dotdot", false, "volumes[0]"},
		{"dotdot with volumes enabled", "dotdot", true, "volumes[0]"},
		{"dotdot after a subdirectory", "dotdot-nested", false, "volumes[0]"},
		{"symlink out of the task dir", "symlink", false, "volumes[0]"},
		{"rx option", "bad-option", false, "volumes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := testContext(t, 60*time.Second)
			var cfg *hclconfig.AgentConfig
			if c.enabled {
				cfg = volumesEnabledConfig(e)
			}
			_, driver := e.startAgent(ctx, cfg)
			outside := t.TempDir()

			runner := e.prepareTask(volumesJob(e, outside), c.task)
			if c.task == "symlink" {
				link := filepath.Join(runner.Alloc.Dir.TaskDir(c.task), "link-out")
				if err := os.Symlink(outside, link); err != nil {
					t.Fatal(err)
				}
			}
			err := runner.Start(ctx, driver)
			if err == nil {
				t.Fatalf("task %q with volumes %v started", c.task, runner.Task.Config["volumes"])
			}
			t.Logf("refusal: %v", err)
			if !strings.Contains(err.Error(), c.key) {
				t.Errorf("error does not name %s: %v", c.key, err)
			}
			if se := (*harness.StartError)(nil); asStartError(err, &se) && se.Recoverable {
				t.Errorf("a refused volume is a config problem, yet the error is recoverable: %v", err)
			}
			escaped := filepath.Join(runner.Alloc.Dir.Root, "escape")
			if _, err := os.Stat(escaped); err == nil {
				t.Errorf("the refused start created %s outside the task directory", escaped)
			}
			if left := e.containersOf(ctx, runner); len(left) != 0 {
				t.Errorf("a refused start left %d containers behind", len(left))
			}
		})
	}
}

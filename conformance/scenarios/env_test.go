package scenarios

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomad-driver-container/conformance/harness"
	"github.com/nomad-driver-container/conformance/hclconfig"
	driverpb "github.com/nomad-driver-container/conformance/proto/drivers"
	"github.com/nomad-driver-container/conformance/taskconfig"
)

const (
	pluginBinEnv    = "NDC_PLUGIN_BIN"
	containerBinEnv = "NDC_CONTAINER_BIN"
	standinRootEnv  = "CONTAINER_STANDIN_ROOT"
	examplesDir     = "../../examples"
)

// testEnv is one test's plugin binary, container CLI and stand-in state.
type testEnv struct {
	t            *testing.T
	pluginBin    string
	containerBin string
	standinRoot  string
	pluginLog    string
}

// newEnv reads the required environment and prepares a fresh stand-in
// root. Missing variables fail the test with a clear message.
func newEnv(t *testing.T) *testEnv {
	t.Helper()
	e := &testEnv{
		t:            t,
		pluginBin:    requiredBinary(t, pluginBinEnv),
		containerBin: requiredBinary(t, containerBinEnv),
		standinRoot:  filepath.Join(t.TempDir(), "standin"),
		pluginLog:    filepath.Join(t.TempDir(), "plugin.log"),
	}
	if err := os.MkdirAll(e.standinRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.dumpPluginLogOnFailure)
	return e
}

func requiredBinary(t *testing.T, name string) string {
	t.Helper()
	path := os.Getenv(name)
	if path == "" {
		t.Fatalf("%s is not set: export %s=<absolute path> (build with `cargo build --workspace` "+
			"in the repository root; see conformance/README.md)", name, name)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, path, err)
	}
	if info, err := os.Stat(abs); err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
		t.Fatalf("%s=%q is not an executable file (%v)", name, path, err)
	}
	return abs
}

// pluginEnv is what the plugin gets on top of the inherited environment:
// the stand-in root and the chosen CLI first on PATH.
func (e *testEnv) pluginEnv() []string {
	return []string{
		standinRootEnv + "=" + e.standinRoot,
		// The driver's per-user runtime files (registry-login markers),
		// one set per stand-in, as one Apple service goes with one host.
		"NOMAD_DRIVER_CONTAINER_RUNTIME_DIR=" + filepath.Join(e.standinRoot, "runtime"),
		"PATH=" + filepath.Dir(e.containerBin) + string(os.PathListSeparator) + os.Getenv("PATH"),
	}
}

// writeKnobs sets the stand-in's knobs.json.
func (e *testEnv) writeKnobs(knobs map[string]any) {
	e.t.Helper()
	data, err := json.Marshal(knobs)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.standinRoot, "knobs.json"), data, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *testEnv) agentOptions(cfg *hclconfig.AgentConfig) harness.AgentOptions {
	logFile, err := os.OpenFile(e.pluginLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { logFile.Close() })
	return harness.AgentOptions{PluginBinary: e.pluginBin, Config: cfg, Env: e.pluginEnv(), LogOutput: logFile}
}

// startAgent loads the plugin with the given agent config (nil: an empty
// plugin block) and shuts it down when the test ends.
func (e *testEnv) startAgent(ctx context.Context, cfg *hclconfig.AgentConfig) (*harness.Agent, *harness.Driver) {
	e.t.Helper()
	agent, driver, err := harness.StartAgent(ctx, e.agentOptions(cfg))
	if err != nil {
		e.t.Fatalf("load plugin: %v", err)
	}
	e.t.Cleanup(driver.Shutdown)
	return agent, driver
}

// agentConfig parses agent config HCL written inline by a test.
func (e *testEnv) agentConfig(src string) *hclconfig.AgentConfig {
	e.t.Helper()
	path := filepath.Join(e.t.TempDir(), "client.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		e.t.Fatal(err)
	}
	cfg, err := hclconfig.ParseAgentConfig(path)
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg
}

// jobFile parses a job file (testdata/jobs/<name> or a path).
func (e *testEnv) jobFile(path string) *hclconfig.Job {
	e.t.Helper()
	if !strings.Contains(path, "/") {
		path = filepath.Join("testdata", "jobs", path)
	}
	job, err := hclconfig.ParseJob(path)
	if err != nil {
		e.t.Fatal(err)
	}
	return job
}

// prepareTask allocates the task's group and starts its logmon, and
// destroys the task and stops logmon when the test ends.
func (e *testEnv) prepareTask(job *hclconfig.Job, taskName string) *harness.TaskRunner {
	e.t.Helper()
	group, _, ok := job.Task(taskName)
	if !ok {
		e.t.Fatalf("job %q has no task %q", job.ID, taskName)
	}
	alloc, err := harness.NewAlloc(job, group, taskconfig.LocalNode(), e.t.TempDir())
	if err != nil {
		e.t.Fatal(err)
	}
	runner, err := alloc.NewTask(taskName)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { e.cleanupTask(runner) })
	return runner
}

// startTask prepares and starts a task, failing the test if StartTask does.
func (e *testEnv) startTask(
	ctx context.Context, driver *harness.Driver, job *hclconfig.Job, taskName string,
) *harness.TaskRunner {
	e.t.Helper()
	runner := e.prepareTask(job, taskName)
	if err := runner.Start(ctx, driver); err != nil {
		e.t.Fatalf("start task %q: %v", taskName, err)
	}
	return runner
}

func (e *testEnv) cleanupTask(runner *harness.TaskRunner) {
	if runner.Handle != nil && runner.Driver != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = runner.Stop(ctx, time.Second, "SIGKILL")
		_ = runner.Destroy(ctx)
	}
	if runner.Logmon != nil {
		_ = runner.Logmon.Stop()
	}
}

// listContainers runs `container list --all --format json` against the
// test's stand-in root.
func (e *testEnv) listContainers(ctx context.Context) []containerSummary {
	e.t.Helper()
	cmd := exec.CommandContext(ctx, e.containerBin, "list", "--all", "--format", "json")
	cmd.Env = append(os.Environ(), standinRootEnv+"="+e.standinRoot)
	out, err := cmd.Output()
	if err != nil {
		e.t.Fatalf("container list: %v", err)
	}
	var list []containerSummary
	if err := json.Unmarshal(out, &list); err != nil {
		e.t.Fatalf("container list output %q: %v", out, err)
	}
	return list
}

type containerSummary struct {
	ID            string `json:"id"`
	Configuration struct {
		Labels         map[string]string `json:"labels"`
		PublishedPorts []publishedPort   `json:"publishedPorts"`
	} `json:"configuration"`
	Status struct {
		State string `json:"state"`
	} `json:"status"`
}

type publishedPort struct {
	HostAddress   string `json:"hostAddress"`
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
}

func (e *testEnv) dumpPluginLogOnFailure() {
	if !e.t.Failed() {
		return
	}
	f, err := os.Open(e.pluginLog)
	if err != nil {
		return
	}
	defer f.Close()

	var lines []string
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		lines = append(lines, scanner.Text())
	}
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	e.t.Logf("last plugin log lines (%s):\n%s", e.pluginLog, strings.Join(lines, "\n"))
}

// testContext bounds a whole test.
func testContext(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeoutCause(context.Background(), limit,
		fmt.Errorf("test %s exceeded its %s budget", t.Name(), limit))
	t.Cleanup(cancel)
	return ctx
}

func startAgentWith(ctx context.Context, opts harness.AgentOptions) (*harness.Agent, *harness.Driver, error) {
	return harness.StartAgent(ctx, opts)
}

func unknownHandle(id string) *driverpb.TaskHandle {
	return &driverpb.TaskHandle{Version: 1, Config: &driverpb.TaskConfig{Id: id}}
}

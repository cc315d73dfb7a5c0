package scenarios

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nomad-driver-container/conformance/harness"
	"github.com/nomad-driver-container/conformance/hclconfig"
)

// A task that exits while no plugin runs: the relaunched plugin must
// report its real exit code after RecoverTask, not a guess.
func TestTaskExitWhilePluginIsDeadIsReportedAfterRecovery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	agent, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("short-fail.nomad"), "short")
	if err := driver.Crash(); err != nil {
		t.Fatal(err)
	}
	paths := runner.Logmon.Paths()
	if err := waitForLine(ctx, paths.StderrLog, "end"); err != nil {
		t.Fatalf("the task's output did not arrive while the plugin was dead: %v", err)
	}

	relaunched, err := agent.Dispense(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relaunched.Shutdown)
	if err := runner.Recover(ctx, relaunched); err != nil {
		t.Fatal(err)
	}
	exit, err := runner.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if exit.Result.GetExitCode() != 3 || exit.ResultAbsent {
		t.Errorf("exit after recovery = %s, want exit_code=3", exit)
	}

	if err := runner.DrainLogs(); err != nil {
		t.Fatal(err)
	}
	if got := readLog(paths.StdoutLog); got != "start\nend\n" {
		t.Errorf("stdout log = %q, want %q", got, "start\nend\n")
	}
}

// After a client reattaches to a live plugin it calls RecoverTask for
// tasks the plugin already runs; that must succeed and change nothing.
func TestRecoverTaskIsIdempotentForATrackedTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("ticker.nomad"), "ticker")
	paths := runner.Logmon.Paths()
	if err := waitForLine(ctx, paths.StdoutLog, "tick 2"); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 2; attempt++ {
		if err := runner.Recover(ctx, driver); err != nil {
			t.Fatalf("RecoverTask #%d on a tracked task: %v", attempt, err)
		}
	}

	exit, err := runner.Kill(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !exit.Successful() {
		t.Errorf("exit = %s, want 0", exit)
	}
	assertTickerLogsExact(t, runner.DrainLogs, paths.StdoutLog, paths.StderrLog)
}

// `nomad alloc signal -s` passes the user's spelling through unchanged.
func TestSignalTaskAcceptsALowerCaseSignalName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("trap-usr1.nomad"), "listener")
	stdout := runner.Logmon.Paths().StdoutLog
	if err := waitForLine(ctx, stdout, "ready"); err != nil {
		t.Fatal(err)
	}
	if err := runner.Signal(ctx, "sigusr1"); err != nil {
		t.Fatal(err)
	}
	if err := waitForLine(ctx, stdout, "got SIGUSR1"); err != nil {
		t.Error(err)
	}
}

func TestTaskSeesNomadRuntimeEnvironment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("env-report.nomad"), "reporter")
	if _, err := runner.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := runner.DrainLogs(); err != nil {
		t.Fatal(err)
	}

	output := readLog(runner.Logmon.Paths().StdoutLog)
	for _, key := range []string{
		"NOMAD_ALLOC_ID", "NOMAD_TASK_NAME", "NOMAD_JOB_NAME", "NOMAD_GROUP_NAME", "NOMAD_TASK_DIR",
		"NOMAD_ALLOC_DIR", "NOMAD_SECRETS_DIR", "NOMAD_MEMORY_LIMIT", "NOMAD_CPU_LIMIT", "NOMAD_PORT_http",
	} {
		want := fmt.Sprintf("%s=%s", key, runner.Config.GetEnv()[key])
		if !hasLine(output, want) {
			t.Errorf("task output lacks %q", want)
		}
	}
	if !hasLine(output, "FROM_TASK_ENV=task-env-reporter") {
		t.Errorf("the task's env block did not reach it interpolated: %q", output)
	}
}

func TestDestroyRemovesTheContainerOnlyWhenGCIsOn(t *testing.T) {
	t.Parallel()
	for _, gc := range []bool{true, false} {
		t.Run(fmt.Sprintf("gc.container=%t", gc), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := testContext(t, 60*time.Second)
			cfg := e.agentConfig(fmt.Sprintf("plugin %q {\n config {\n gc {\n container = %t\n }\n }\n}\n",
				pluginLabel(e), gc))
			_, driver := e.startAgent(ctx, cfg)

			runner := e.startTask(ctx, driver, e.jobFile("short-fail.nomad"), "short")
			if _, err := runner.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			if err := runner.Destroy(ctx); err != nil {
				t.Fatal(err)
			}

			remaining := 0
			for _, c := range e.listContainers(ctx) {
				if c.Configuration.Labels["nomad.alloc_id"] == runner.Alloc.ID || strings.Contains(c.ID, runner.Alloc.ID) {
					remaining++
				}
			}
			if gc && remaining != 0 {
				t.Errorf("%d containers of the alloc remain after DestroyTask with gc.container=true", remaining)
			}
			if !gc && remaining != 1 {
				t.Errorf("%d containers of the alloc remain after DestroyTask with gc.container=false, want 1", remaining)
			}
		})
	}
}

// Group ports are what Nomad advertises for the task (NOMAD_ADDR_<label>
// is host_ip:value), so the driver has to make value reach `to` inside the
// container.
func TestGroupPortsArePublishedOnTheHostAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("published-port.nomad"), "web")
	port := runner.Config.GetResources().GetPorts()[0]

	var published []publishedPort
	for _, c := range e.listContainers(ctx) {
		if c.Configuration.Labels["nomad.alloc_id"] == runner.Alloc.ID || strings.Contains(c.ID, runner.Alloc.ID) {
			published = append(published, c.Configuration.PublishedPorts...)
		}
	}
	want := publishedPort{HostAddress: port.GetHostIp(), HostPort: int(port.GetValue()), ContainerPort: int(port.GetTo())}
	for _, p := range published {
		if p.HostAddress == want.HostAddress && p.HostPort == want.HostPort && p.ContainerPort == want.ContainerPort {
			return
		}
	}
	t.Errorf("container publishes %+v, want %+v (port %q)", published, want, port.GetLabel())
}

func pluginLabel(e *testEnv) string {
	return hclconfig.PluginLabel(e.pluginBin)
}

// The client calls DestroyTask(force=true) without StopTask when it gives
// up on a task (a failed recover, for one); the task must end.
func TestForcedDestroyEndsARunningTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("ticker.nomad"), "ticker")
	if err := waitForLine(ctx, runner.Logmon.Paths().StdoutLog, "tick 1"); err != nil {
		t.Fatal(err)
	}
	if err := runner.Destroy(ctx); err != nil {
		t.Fatal(err)
	}

	for _, c := range e.listContainers(ctx) {
		if (c.Configuration.Labels["nomad.alloc_id"] == runner.Alloc.ID || strings.Contains(c.ID, runner.Alloc.ID)) &&
			c.Status.State == "running" {
			t.Errorf("container %s still running after DestroyTask(force=true)", c.ID)
		}
	}
}

func TestStartWithAnUnknownImageFailsNamingIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.prepareTask(e.jobFile("unknown-image.nomad"), "missing")
	err := runner.Start(ctx, driver)
	if err == nil {
		t.Fatal("a task with an image no registry has started")
	}
	if harness.IsValidation(err) {
		t.Fatalf("the client refused the config itself: %v", err)
	}
	if !strings.Contains(err.Error(), "alpine-does-not-exist") {
		t.Errorf("error does not name the image: %v", err)
	}
}

package scenarios

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestNetworkModeNoneRunsTheContainerWithoutANetwork(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("network-modes.nomad"), "isolated")
	if err := waitForLine(ctx, runner.Logmon.Paths().StdoutLog, "isolated up"); err != nil {
		t.Fatal(err)
	}
	c := e.containerOf(ctx, runner)
	t.Logf("configuration.networks=%+v status.networks=%+v", c.Configuration.Networks, c.Status.Networks)
	for _, n := range c.Configuration.Networks {
		if n.Network != "none" {
			t.Errorf("a network_mode = \"none\" container is attached to network %q", n.Network)
		}
	}
	for _, n := range c.Status.Networks {
		if n.Network != "none" || n.IPv4Address != "" {
			t.Errorf("a network_mode = \"none\" container has an interface on %q with address %q", n.Network, n.IPv4Address)
		}
	}
}

// network_mode = "task:main" joins main's network and tells the sidecar
// main's address as TASK_MAIN_IP.
func TestSidecarJoinsTheNetworkOfItsMainTaskAndSeesItsAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	alloc := e.prepareAlloc(e.jobFile("network-modes.nomad"), "pair")
	main := e.allocTask(alloc, "main")
	if err := main.Start(ctx, driver); err != nil {
		t.Fatalf("start main: %v", err)
	}
	if err := waitForLine(ctx, main.Logmon.Paths().StdoutLog, "main up"); err != nil {
		t.Fatal(err)
	}
	sidecar := e.allocTask(alloc, "sidecar")
	if err := sidecar.Start(ctx, driver); err != nil {
		t.Fatalf("start sidecar after main runs: %v", err)
	}

	mainContainer := e.containerOf(ctx, main)
	if len(mainContainer.Status.Networks) == 0 {
		t.Fatalf("main's container has no network: %+v", mainContainer.Status)
	}
	mainNet := mainContainer.Status.Networks[0]
	mainIP := strings.Split(mainNet.IPv4Address, "/")[0]

	content, err := waitForLog(ctx, sidecar.Logmon.Paths().StdoutLog, "the TASK_MAIN_IP line",
		func(s string) bool { return strings.Contains(s, "TASK_MAIN_IP=") && strings.HasSuffix(s, "\n") })
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(content[strings.Index(content, "TASK_MAIN_IP="):])
	got := strings.TrimPrefix(strings.SplitN(line, "\n", 2)[0], "TASK_MAIN_IP=")
	t.Logf("sidecar sees TASK_MAIN_IP=%q; main's address is %q on %q", got, mainNet.IPv4Address, mainNet.Network)
	if got != mainIP {
		t.Errorf("sidecar's TASK_MAIN_IP = %q, want main's address %q", got, mainIP)
	}
	if net.ParseIP(got) == nil {
		t.Errorf("TASK_MAIN_IP = %q is not an IP address", got)
	}

	sidecarContainer := e.containerOf(ctx, sidecar)
	var networks []string
	for _, n := range sidecarContainer.Configuration.Networks {
		networks = append(networks, n.Network)
	}
	if !contains(networks, mainNet.Network) {
		t.Errorf("sidecar's container is on networks %v, not on main's %q", networks, mainNet.Network)
	}
}

// Before main runs, the sidecar's start fails with a recoverable error, so
// Nomad's restart policy retries it; once main runs, a retry succeeds.
func TestSidecarStartedBeforeItsMainTaskFailsRecoverably(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	alloc := e.prepareAlloc(e.jobFile("network-modes.nomad"), "pair")
	sidecar := e.allocTask(alloc, "sidecar")
	se := startError(t, "sidecar before main", sidecar.Start(ctx, driver))
	t.Logf("refusal: %v", se)
	if !se.Recoverable {
		t.Errorf("main not running yet is a passing condition, yet the error is not recoverable: %v", se)
	}
	if !strings.Contains(se.Error(), "main") {
		t.Errorf("error does not name the task it waits for: %v", se)
	}
	if left := e.containersOf(ctx, sidecar); len(left) != 0 {
		t.Errorf("the failed attempt left %d containers behind", len(left))
	}

	main := e.allocTask(alloc, "main")
	if err := main.Start(ctx, driver); err != nil {
		t.Fatalf("start main: %v", err)
	}
	if err := sidecar.Start(ctx, driver); err != nil {
		t.Fatalf("the sidecar's retry after main started failed: %v", err)
	}
	if _, err := waitForLog(ctx, sidecar.Logmon.Paths().StdoutLog, "a non-empty TASK_MAIN_IP", func(s string) bool {
		return strings.Contains(s, "TASK_MAIN_IP=") && !strings.Contains(s, "TASK_MAIN_IP=\n")
	}); err != nil {
		t.Error(err)
	}
}

// StartTask returns once the main task's container is starting; a sidecar
// started right after (as a poststart sidecar is) waits for it to run
// rather than failing and waiting out a restart delay.
func TestSidecarStartedRightAfterItsMainTaskWaitsForItsContainer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	alloc := e.prepareAlloc(e.jobFile("network-modes.nomad"), "pair")
	main, sidecar := e.allocTask(alloc, "main"), e.allocTask(alloc, "sidecar")
	// Warm the image, then make every attached start slow to come up.
	if _, err := e.runCLI(ctx, "", "image", "pull", "alpine:3.20"); err != nil {
		t.Fatal(err)
	}
	e.writeKnobs(map[string]any{"latency_ms": map[string]int{"start": 1500}})

	if err := main.Start(ctx, driver); err != nil {
		t.Fatalf("start main: %v", err)
	}
	if err := sidecar.Start(ctx, driver); err != nil {
		t.Fatalf("the sidecar did not wait for main's container: %v", err)
	}
	if _, err := waitForLog(ctx, sidecar.Logmon.Paths().StdoutLog, "a non-empty TASK_MAIN_IP", func(s string) bool {
		return strings.Contains(s, "TASK_MAIN_IP=") && !strings.Contains(s, "TASK_MAIN_IP=\n")
	}); err != nil {
		t.Error(err)
	}
}

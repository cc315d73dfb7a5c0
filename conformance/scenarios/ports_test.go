package scenarios

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"
)

// Each listed group port is published from host_ip:value to `to` (the
// host port when `to` is unset) for TCP and UDP, and StartTask tells Nomad
// the container's address and port map (for address_mode = "driver").
func TestPortsArePublishedForTCPAndUDPAndReturnedInTheNetworkOverride(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.startTask(ctx, driver, e.jobFile("ports.nomad"), "web")
	ports := runner.Config.GetResources().GetPorts()
	if len(ports) != 2 {
		t.Fatalf("the harness allocated %d ports, want 2", len(ports))
	}

	type spec struct {
		addr        string
		host, inner int
		proto       string
	}
	want := map[spec]bool{}
	wantMap := map[string]int32{}
	for _, p := range ports {
		inner := p.GetTo()
		if inner == 0 { // `to` unset
			inner = p.GetValue()
		}
		if p.GetLabel() == "http" && inner != 8080 {
			t.Fatalf("port http allocated with to=%d, want 8080", p.GetTo())
		}
		wantMap[p.GetLabel()] = inner
		for _, proto := range []string{"tcp", "udp"} {
			want[spec{p.GetHostIp(), int(p.GetValue()), int(inner), proto}] = true
		}
	}

	container := e.containerOf(ctx, runner)
	got := map[spec]bool{}
	var gotList []string
	for _, p := range container.Configuration.PublishedPorts {
		count := p.Count
		if count == 0 {
			count = 1
		}
		for i := 0; i < count; i++ {
			s := spec{p.HostAddress, p.HostPort + i, p.ContainerPort + i, p.Proto}
			got[s] = true
			gotList = append(gotList, fmt.Sprintf("%s:%d->%d/%s", s.addr, s.host, s.inner, s.proto))
		}
	}
	sort.Strings(gotList)
	t.Logf("published: %v", gotList)
	for s := range want {
		if !got[s] {
			t.Errorf("container does not publish %s:%d->%d/%s; it publishes %v", s.addr, s.host, s.inner, s.proto, gotList)
		}
	}
	for s := range got {
		if !want[s] {
			t.Errorf("container publishes %s:%d->%d/%s, which no listed port asked for", s.addr, s.host, s.inner, s.proto)
		}
	}

	override := runner.NetworkOverride
	if override == nil {
		t.Fatal("StartTask returned no network_override for a task with ports")
	}
	t.Logf("network_override: port_map=%v addr=%q", override.GetPortMap(), override.GetAddr())
	if fmt.Sprint(override.GetPortMap()) != fmt.Sprint(wantMap) {
		t.Errorf("network_override.port_map = %v, want %v", override.GetPortMap(), wantMap)
	}
	if override.GetAddr() == "" {
		t.Error("network_override.addr is empty")
	} else if net.ParseIP(override.GetAddr()) == nil {
		t.Errorf("network_override.addr = %q, not an IP address", override.GetAddr())
	}
	// The address is the container's own, as `container inspect` shows it.
	var addresses []string
	for _, n := range e.containerOf(ctx, runner).Status.Networks {
		addresses = append(addresses, strings.Split(n.IPv4Address, "/")[0])
	}
	if override.GetAddr() != "" && !contains(addresses, override.GetAddr()) {
		t.Errorf("network_override.addr = %q, but the container's addresses are %v", override.GetAddr(), addresses)
	}
}

func TestPortsNamingALabelTheGroupLacksFailsNamingIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := e.prepareTask(e.jobFile("ports.nomad"), "unknown-label")
	se := startError(t, "ports with an unknown label", runner.Start(ctx, driver))
	t.Logf("refusal: %v", se)
	if !strings.Contains(se.Error(), "admin") {
		t.Errorf("error does not name the unknown label %q: %v", "admin", se)
	}
	if se.Recoverable {
		t.Errorf("an unknown port label is a config problem, yet the error is recoverable: %v", se)
	}
	if left := e.containersOf(ctx, runner); len(left) != 0 {
		t.Errorf("a refused start left %d containers behind", len(left))
	}
}

func contains(list []string, item string) bool {
	for _, x := range list {
		if x == item {
			return true
		}
	}
	return false
}

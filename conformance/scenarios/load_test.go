package scenarios

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/nomad-driver-container/conformance/hclconfig"
	"github.com/nomad-driver-container/conformance/internal/specfixture"
	"github.com/nomad-driver-container/conformance/loader"
	basepb "github.com/nomad-driver-container/conformance/proto/base"
	driverpb "github.com/nomad-driver-container/conformance/proto/drivers"
	hclspecpb "github.com/nomad-driver-container/conformance/proto/hclspec"
)

func TestLoadWithExampleClientConfigReportsInfoAndHealthyFingerprint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)

	cfg, err := hclconfig.ParseAgentConfig(filepath.Join(examplesDir, "nomad", "client.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	agent, driver := e.startAgent(ctx, cfg)

	if agent.APIVersion == "" || agent.Info.GetName() != "container" {
		t.Errorf("plugin info = %v, matched API version %q", agent.Info, agent.APIVersion)
	}
	if agent.ConfigSpec == nil || len(agent.MsgpackConfig) == 0 {
		t.Error("plugin serves no config schema, but the example client.hcl has a config block")
	}

	fp, err := driver.FirstFingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fp.GetHealth() != driverpb.FingerprintResponse_HEALTHY {
		t.Errorf("first fingerprint health = %s (%q), want HEALTHY", fp.GetHealth(), fp.GetHealthDescription())
	}
	if fp.GetErr() != "" {
		t.Errorf("first fingerprint err = %q; the client would mark the driver unhealthy", fp.GetErr())
	}
	assertAttributesNamespaced(t, fp)
}

func TestFingerprintIsUnhealthyWhenTheServiceIsDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	e.writeKnobs(map[string]any{"service_down": true})

	_, driver := e.startAgent(ctx, nil)
	fp, err := driver.FirstFingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fp.GetHealth() != driverpb.FingerprintResponse_UNHEALTHY {
		t.Errorf("first fingerprint health = %s (%q), want UNHEALTHY", fp.GetHealth(), fp.GetHealthDescription())
	}
	if fp.GetHealthDescription() == "" {
		t.Error("unhealthy fingerprint has no health_description for the node event")
	}
}

// A plugin config naming the CLI explicitly must work without PATH help.
func TestContainerPathFromPluginConfigIsUsed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)

	cfg := e.agentConfig(`
plugin "` + filepath.Base(e.pluginBin) + `" {
  config {
    container_path = "` + e.containerBin + `"
  }
}
`)
	opts := e.agentOptions(cfg)
	opts.Env = []string{standinRootEnv + "=" + e.standinRoot, "PATH=/usr/bin:/bin"}

	_, driver, err := startAgentWith(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(driver.Shutdown)
	fp, err := driver.FirstFingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fp.GetHealth() != driverpb.FingerprintResponse_HEALTHY {
		t.Errorf("health = %s (%q), want HEALTHY with container_path set", fp.GetHealth(), fp.GetHealthDescription())
	}
}

func TestPluginInfoPassesTheLoadersChecksOnEveryLaunch(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 30*time.Second)
	inst := newEnv(t).launchBare()

	info, err := inst.Base.PluginInfo(ctx, &basepb.PluginInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loader.CheckDriverInfo(info, "container"); err != nil {
		t.Error(err)
	}
}

// Attributes reach the node verbatim, so they must be driver.<name>.*.
func assertAttributesNamespaced(t *testing.T, fp *driverpb.FingerprintResponse) {
	t.Helper()
	for key := range fp.GetAttributes() {
		if !strings.HasPrefix(key, "driver.container") {
			t.Errorf("fingerprint attribute %q is not under driver.container", key)
		}
	}
}

// The client re-calls Fingerprint and TaskEvents at once whenever either
// stream ends, so a plugin must keep both open.
func TestFingerprintAndTaskEventsStreamsStayOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	if _, err := driver.FirstFingerprint(ctx); err != nil {
		t.Fatal(err)
	}
	runner := e.startTask(ctx, driver, e.jobFile(filepath.Join(examplesDir, "jobs", "hello.nomad")), "hello")
	if _, err := runner.Wait(ctx); err != nil {
		t.Fatal(err)
	}

	if err := driver.Fingerprints.Ended(); err != nil {
		t.Errorf("Fingerprint stream ended: %v", err)
	}
	if err := driver.Events.Ended(); err != nil {
		t.Errorf("TaskEvents stream ended: %v", err)
	}
}

// After reattaching to a live plugin the client sends Init again on the
// same process.
func TestInitIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	if _, err := driver.Client().Init(ctx, &driverpb.InitRequest{}); err != nil {
		t.Fatalf("second Init: %v", err)
	}
	runner := e.startTask(ctx, driver, e.jobFile(filepath.Join(examplesDir, "jobs", "hello.nomad")), "hello")
	exit, err := runner.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !exit.Successful() {
		t.Errorf("task after a second Init: %s, want success", exit)
	}
}

// The hand-written schemas the decoding tests use (internal/specfixture)
// are the ones the plugin serves, so those tests cannot drift from it.
func TestDocumentedSchemaFixturesMatchWhatThePluginServes(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 30*time.Second)
	inst := newEnv(t).launchBare()

	plugin, err := inst.Base.ConfigSchema(ctx, &basepb.ConfigSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(plugin.GetSpec(), namedAfterKeys(specfixture.PluginConfig())) {
		t.Errorf("served plugin config schema differs from specfixture.PluginConfig:\n%v",
			prototext.Format(plugin.GetSpec()))
	}
	task, err := inst.Driver.TaskConfigSchema(ctx, &driverpb.TaskConfigSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(task.GetSpec(), namedAfterKeys(specfixture.TaskConfig())) {
		t.Errorf("served task config schema differs from specfixture.TaskConfig:\n%v",
			prototext.Format(task.GetSpec()))
	}
}

// namedAfterKeys gives each unnamed attribute of an object spec its key as
// its name, which is what an empty name means to hcldec and what the plugin
// spells out.
func namedAfterKeys(spec *hclspecpb.Spec) *hclspecpb.Spec {
	for key, child := range spec.GetObject().GetAttributes() {
		target := child
		if def := child.GetDefault(); def != nil {
			target = def.GetPrimary()
		}
		switch {
		case target.GetAttr() != nil && target.GetAttr().Name == "":
			target.GetAttr().Name = key
		case target.GetBlockAttrs() != nil && target.GetBlockAttrs().Name == "":
			target.GetBlockAttrs().Name = key
		case target.GetBlockValue() != nil:
			namedAfterKeys(target.GetBlockValue().GetNested())
		}
	}
	return spec
}

// launchBare launches the plugin as the loader does, with no agent around
// it, and kills it when the test ends.
func (e *testEnv) launchBare() *loader.Instance {
	e.t.Helper()
	inst, err := loader.Launch(loader.Options{Binary: e.pluginBin, Env: e.pluginEnv()})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(inst.Kill)
	return inst
}

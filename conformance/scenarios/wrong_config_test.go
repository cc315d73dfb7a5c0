package scenarios

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nomad-driver-container/conformance/harness"
)

// Each mistake is refused before anything runs, with an error that names
// the key as the user wrote it: the client's own decode for types and
// unknown keys, the plugin's StartTask for values — and a StartTask
// refusal of a config is final (not recoverable), since retrying the same
// config cannot help.
func TestWrongTaskConfigsAreRefusedNamingTheKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 90*time.Second)
	_, driver := e.startAgent(ctx, nil)
	job := e.jobFile("wrong-configs.nomad")

	cases := []struct {
		task string
		key  string
		// decode: the client's hcldec decode must refuse it.
		decode bool
	}{
		{"ports-with-network-none", "ports", false},
		{"hostname", "hostname", false},
		{"network-mode-with-space", "network_mode", false},
		{"user-with-space", "user", false},
		{"unknown-capability", "cap_add", false},
		{"dns-not-an-ip", "dns", false},
		{"platform-without-os", "platform", false},
		{"pull-timeout-without-unit", "image_pull_timeout", false},
		{"volume-without-target", "volumes", false},
		{"tty-wrong-type", "tty", true},
		{"unknown-key", "network_modus", true},
	}
	for _, c := range cases {
		t.Run(c.task, func(t *testing.T) {
			runner := e.prepareTask(job, c.task)
			before := len(e.calls())
			err := runner.Start(ctx, driver)
			if err == nil {
				t.Fatalf("task %q started", c.task)
			}
			t.Logf("refusal: %v", err)
			if !strings.Contains(err.Error(), c.key) {
				t.Errorf("error does not name %q: %v", c.key, err)
			}
			if c.decode && !harness.IsValidation(err) {
				t.Errorf("want the client's decode to refuse it, got %v", err)
			}
			var se *harness.StartError
			if asStartError(err, &se) && se.Recoverable {
				t.Errorf("a config problem must not be recoverable (the restart policy would retry it forever): %v", err)
			}
			if left := e.containersOf(ctx, runner); len(left) != 0 {
				t.Errorf("a refused config left %d containers behind", len(left))
			}
			for _, call := range e.calls()[before:] {
				if len(call.Argv) > 0 && (call.Argv[0] == "create" || call.Argv[0] == "run") {
					t.Errorf("a refused config still reached `container %s`", strings.Join(call.Argv, " "))
				}
			}
		})
	}
}

// The same keys, set correctly in the spellings a docker-driver user
// writes (capabilities with or without CAP_, any case; IPv6 DNS; uid:gid;
// compound durations; ro/rw volumes), are accepted and take effect.
func TestValidFormsOfTheSameKeysAreAccepted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	_, driver := e.startAgent(ctx, nil)

	runner := runToSuccess(ctx, t, e, driver, e.jobFile("wrong-configs.nomad"), "valid-forms")
	output := readLog(runner.Logmon.Paths().StdoutLog)
	if !hasLine(output, "valid ran") {
		t.Errorf("stdout = %q", output)
	}
	if os.Geteuid() == 0 && !hasLine(output, "uid=1000 gid=1000") {
		t.Errorf("user = \"1000:1000\" did not take effect: stdout %q", output)
	}

	out, err := e.runCLI(ctx, "", "inspect", e.containerOf(ctx, runner).ID)
	if err != nil {
		t.Fatal(err)
	}
	var inspected []struct {
		Configuration struct {
			CapAdd  []string `json:"capAdd"`
			CapDrop []string `json:"capDrop"`
			DNS     struct {
				Nameservers   []string `json:"nameservers"`
				SearchDomains []string `json:"searchDomains"`
				Options       []string `json:"options"`
			} `json:"dns"`
		} `json:"configuration"`
	}
	if err := json.Unmarshal(out, &inspected); err != nil || len(inspected) != 1 {
		t.Fatalf("inspect output %q: %v", out, err)
	}
	cfg := inspected[0].Configuration
	t.Logf("capAdd=%v capDrop=%v dns=%+v", cfg.CapAdd, cfg.CapDrop, cfg.DNS)
	for _, capability := range []string{"NET_ADMIN", "SYS_TIME", "SYS_PTRACE"} {
		found := false
		for _, got := range cfg.CapAdd {
			if strings.TrimPrefix(strings.ToUpper(got), "CAP_") == capability {
				found = true
			}
		}
		if !found {
			t.Errorf("capAdd %v lacks %s", cfg.CapAdd, capability)
		}
	}
	if strings.Join(cfg.DNS.Nameservers, ",") != "1.1.1.1,2001:4860:4860::8888" {
		t.Errorf("dns nameservers = %v", cfg.DNS.Nameservers)
	}
	if strings.Join(cfg.DNS.SearchDomains, ",") != "example.internal" || strings.Join(cfg.DNS.Options, ",") != "ndots:2" {
		t.Errorf("dns search/options = %v / %v", cfg.DNS.SearchDomains, cfg.DNS.Options)
	}
}

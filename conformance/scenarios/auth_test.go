package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomad-driver-container/conformance/hclconfig"
)

const (
	privateImage    = "registry.local.test/private/app:1"
	privateHost     = "registry.local.test"
	fixturePassword = "s3cret-pw"
)

// Registry credentials are used for the pull only: the password reaches
// Apple's CLI on stdin, never in any process's argv; env values never do
// either; the login is removed afterwards; a refused pull is final.
func TestPrivateRegistryAuth(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name string
		task string
		// pluginAuth is the plugin config's auth block body, if any.
		pluginAuth string
		// preLogin stores the fixture credentials before the task starts;
		// staleLogin then ages that stored password (as an expired token or
		// a rotated password would), in the stand-in's keychain.
		preLogin, staleLogin bool
		starts               bool
		// wantError: substrings the refusal must contain.
		wantError []string
		// loginStays: the host's stored login must remain afterwards.
		loginStays bool
	}{
		{name: "task auth", task: "task-auth", starts: true},
		{name: "no auth", task: "no-auth", wantError: []string{"401"}},
		{name: "wrong password", task: "wrong-password", wantError: []string{privateHost}},
		{name: "plugin auth", task: "no-auth", starts: true,
			pluginAuth: "username = \"ci-bot\"\n password = \"" + fixturePassword + "\"\n server_address = \"registry.local.test\""},
		{name: "task auth wins over the plugin's", task: "task-auth", starts: true,
			pluginAuth: "username = \"ci-bot\"\n password = \"@WRONG_PW@\"\n server_address = \"registry.local.test\""},
		{name: "a login that was there before stays", task: "task-auth", starts: true,
			preLogin: true, loginStays: true},
		// The README: "auth {} in the task ... is used for the pull". A
		// stale login someone left on the host must not make a task with
		// correct credentials fail for good.
		{name: "task auth is used even when a stale login is stored", task: "task-auth", starts: true,
			preLogin: true, staleLogin: true},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := testContext(t, 60*time.Second)
			envSecret := "env-secret-" + randomToken(t)
			wrongPassword := "wrong-pw-" + randomToken(t)
			vars := map[string]string{"ENV_SECRET": envSecret, "WRONG_PW": wrongPassword}

			var cfg *hclconfig.AgentConfig
			if c.pluginAuth != "" {
				body := strings.ReplaceAll(c.pluginAuth, "@WRONG_PW@", wrongPassword)
				cfg = e.agentConfig(fmt.Sprintf("plugin %q {\n config {\n auth {\n %s\n }\n }\n}\n",
					pluginLabel(e), body))
			}
			// Slow the calls that could carry a secret so that the argv
			// sampler sees each of them for a while.
			e.writeKnobs(map[string]any{"latency_ms": map[string]int{
				"registry login": 1000, "image pull": 1000, "create": 300,
			}})
			if c.preLogin {
				if _, err := e.runCLI(ctx, fixturePassword+"\n", "registry", "login", "--password-stdin",
					"--username", "ci-bot", privateHost); err != nil {
					t.Fatal(err)
				}
			}
			if c.staleLogin {
				ageStoredPassword(t, e, privateHost, "expired-token-"+randomToken(t))
			}
			_, driver := e.startAgent(ctx, cfg)
			runner := e.prepareTask(e.jobFromTemplate("private-image.nomad", vars), c.task)

			needles := []string{fixturePassword, envSecret, wrongPassword}
			watch := []string{"registry login", "image pull"}
			sampler := startArgvSampler(e.standinRoot, envSecret, needles, watch)
			err := runner.Start(ctx, driver)
			if err == nil {
				// Keep sampling while the task runs for a moment.
				time.Sleep(300 * time.Millisecond)
			}
			hits, foreign, sweeps, seen := sampler.Stop()

			// What the sampler saw.
			t.Logf("argv sampler: %d sweeps of /proc, saw %v", sweeps, seen)
			for _, hit := range hits {
				t.Errorf("a secret appeared in a process's argv: %s", hit)
			}
			if len(foreign) > 0 {
				t.Logf("ignored %d sightings in processes not of this test: %v", len(foreign), foreign)
			}
			if sweeps < 3 {
				t.Errorf("the argv sampler swept /proc only %d times", sweeps)
			}
			// A refused login ends the start before any pull.
			if !seen["image pull"] && c.name != "wrong password" {
				t.Errorf("the argv sampler never saw the `image pull` process: it would not have seen a leak either")
			}
			if (c.starts && !c.preLogin || c.name == "wrong password") && !seen["registry login"] {
				t.Errorf("the argv sampler never saw the `registry login` process")
			}

			// calls.log: every argv the CLI was given.
			calls := e.calls()
			logins := 0
			for _, call := range calls {
				argv := strings.Join(call.Argv, " ")
				if strings.HasPrefix(argv, "registry login") {
					logins++
				}
				for _, needle := range needles {
					if strings.Contains(argv, needle) {
						t.Errorf("calls.log: a secret (%s…) is in the argv of `container %s`",
							needle[:3], strings.ReplaceAll(argv, needle, "<secret>"))
					}
				}
			}

			if c.starts {
				if err != nil {
					t.Fatalf("start: %v", err)
				}
				if _, err := waitForEvent(ctx, runner, "Downloading image", 5*time.Second); err != nil {
					t.Errorf("no \"Downloading image\" event: %v; events: %q", err, eventMessages(runner))
				}
				if err := waitForLine(ctx, runner.Logmon.Paths().StdoutLog, "private app 1: serving"); err != nil {
					t.Error(err)
				}
				// The env value did reach the container (so its absence
				// from every argv means something).
				out, ierr := e.runCLI(ctx, "", "inspect", e.containerOf(ctx, runner).ID)
				if ierr != nil {
					t.Fatal(ierr)
				}
				if !strings.Contains(string(out), "APP_TOKEN="+envSecret) {
					t.Errorf("the container's environment lacks APP_TOKEN")
				}
				// The env file is removed once the container is created:
				// no regular file in the alloc dir holds the value.
				for _, path := range filesContaining(t, runner.Alloc.Dir.Root, envSecret) {
					t.Errorf("after the start, %s still holds the env value", path)
				}
				if !c.preLogin && logins == 0 {
					t.Errorf("no `registry login` call in calls.log")
				}
			} else {
				se := startError(t, c.name, err)
				t.Logf("refusal: %v", se)
				if se.Recoverable {
					t.Errorf("refused credentials are final, yet the error is recoverable: %v", se)
				}
				for _, want := range c.wantError {
					if !strings.Contains(se.Error(), want) {
						t.Errorf("error does not mention %q: %v", want, se)
					}
				}
				for _, needle := range needles {
					if strings.Contains(se.Error(), needle) {
						t.Errorf("the error echoes a secret (%s…)", needle[:3])
					}
				}
			}

			logins2 := e.registryLogins(ctx)
			hasHost := false
			for _, entry := range logins2 {
				if strings.HasPrefix(entry, privateHost+" ") {
					hasHost = true
				}
			}
			switch {
			case c.staleLogin:
				// What becomes of a stale login afterwards is the driver's call.
			case c.loginStays && !hasHost:
				t.Errorf("the login that existed before the task was removed; registry list: %v", logins2)
			case !c.loginStays && hasHost:
				t.Errorf("a login for %s is still stored after the start: %v", privateHost, logins2)
			}

			pluginLog := readLog(e.pluginLog)
			for _, needle := range needles {
				if strings.Contains(pluginLog, needle) {
					t.Errorf("the plugin's log contains a secret (%s…)", needle[:3])
				}
			}
		})
	}
}

// ageStoredPassword replaces the password of host's stored login in the
// stand-in's keychain.json, where `registry login` saved it.
func ageStoredPassword(t *testing.T, e *testEnv, host, password string) {
	t.Helper()
	path := filepath.Join(e.standinRoot, "keychain.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keychain map[string]map[string]any
	if err := json.Unmarshal(data, &keychain); err != nil {
		t.Fatalf("keychain.json: %v", err)
	}
	entry, ok := keychain[host]
	if !ok {
		t.Fatalf("keychain.json has no login for %s: %s", host, data)
	}
	entry["password"] = password
	if data, err = json.Marshal(keychain); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := e.runCLI(context.Background(), "", "image", "pull", privateImage); err == nil {
		t.Fatal("the aged login still pulls: the stale-login case would prove nothing")
	}
}

// filesContaining lists the regular files under root whose content holds
// text (FIFOs and other special files are skipped: reading them blocks).
func filesContaining(t *testing.T, root, text string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(data), text) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

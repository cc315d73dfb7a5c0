package loader

import (
	"errors"
	"testing"

	basepb "github.com/nomad-driver-container/conformance/proto/base"
)

func driverInfo(name, version string, apiVersions ...string) *basepb.PluginInfoResponse {
	return &basepb.PluginInfoResponse{
		Type: basepb.PluginType_DRIVER, Name: name, PluginVersion: version, PluginApiVersions: apiVersions,
	}
}

func TestCheckDriverInfoReturnsThePluginsSpellingOfTheMatchedVersion(t *testing.T) {
	got, err := CheckDriverInfo(driverInfo("container", "0.1.0", "v0.2.0", "0.1.0"), "container")
	if err != nil {
		t.Fatal(err)
	}
	if got != "0.1.0" {
		t.Errorf("matched version = %q, want the plugin's own \"0.1.0\"", got)
	}
}

func TestCheckDriverInfoRefusesWhatTheLoaderRefuses(t *testing.T) {
	cases := map[string]struct {
		info  *basepb.PluginInfoResponse
		field string
	}{
		"device type":       {&basepb.PluginInfoResponse{Type: basepb.PluginType_DEVICE, Name: "container"}, "type"},
		"other name":        {driverInfo("docker", "0.1.0", "v0.1.0"), "name"},
		"bad version":       {driverInfo("container", "zero.one", "v0.1.0"), "plugin_version"},
		"empty version":     {driverInfo("container", "", "v0.1.0"), "plugin_version"},
		"no common version": {driverInfo("container", "0.1.0", "v0.2.0"), "plugin_api_versions"},
		"no api versions":   {driverInfo("container", "0.1.0"), "plugin_api_versions"},
	}
	for name, c := range cases {
		_, err := CheckDriverInfo(c.info, "container")
		var infoErr *InfoError
		if !errors.As(err, &infoErr) || infoErr.Field != c.field {
			t.Errorf("%s: err = %v, want an InfoError on %s", name, err, c.field)
		}
	}
}

func TestCheckDriverInfoAcceptsSemverVariants(t *testing.T) {
	for _, version := range []string{"0.1.0", "v1.2.3", "1.2.3-dev", "1.2.3+build.5", "2.0"} {
		if _, err := CheckDriverInfo(driverInfo("container", version, "v0.1.0"), "container"); err != nil {
			t.Errorf("plugin_version %q: %v", version, err)
		}
	}
}

func TestMergeEnvLetsOverridesWin(t *testing.T) {
	got := mergeEnv([]string{"PATH=/usr/bin", "HOME=/root"}, []string{"PATH=/opt/bin:/usr/bin", "X=1"})
	want := []string{"HOME=/root", "PATH=/opt/bin:/usr/bin", "X=1"}
	if len(got) != len(want) {
		t.Fatalf("env = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("env = %v, want %v", got, want)
		}
	}
}

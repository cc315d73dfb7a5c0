package loader

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	basepb "github.com/nomad-driver-container/conformance/proto/base"
)

// AgentAPIVersion is the only driver plugin API version Nomad's agent
// supports.
const AgentAPIVersion = "v0.1.0"

// versionPattern accepts what Nomad's version parser accepts for
// plugin_version and API versions: an optional "v", dot-separated numbers,
// an optional pre-release and optional build metadata.
var versionPattern = regexp.MustCompile(
	`^v?([0-9]+(?:\.[0-9]+)*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$`)

// InfoError is a PluginInfo answer Nomad's loader would refuse.
type InfoError struct {
	Field  string
	Reason string
}

func (e *InfoError) Error() string {
	return fmt.Sprintf("plugin info %s: %s", e.Field, e.Reason)
}

// CheckDriverInfo validates PluginInfo the way the loader does for a
// driver named wantName, and returns the plugin's own spelling of the API
// version that matched, which SetConfig must echo.
func CheckDriverInfo(info *basepb.PluginInfoResponse, wantName string) (string, error) {
	if info.GetType() != basepb.PluginType_DRIVER {
		return "", &InfoError{Field: "type", Reason: fmt.Sprintf("%s, want DRIVER", info.GetType())}
	}
	if info.GetName() != wantName {
		return "", &InfoError{Field: "name", Reason: fmt.Sprintf("%q, want %q", info.GetName(), wantName)}
	}
	if !versionPattern.MatchString(info.GetPluginVersion()) {
		return "", &InfoError{Field: "plugin_version",
			Reason: fmt.Sprintf("%q is not a version Nomad can parse", info.GetPluginVersion())}
	}
	return matchAPIVersion(info.GetPluginApiVersions())
}

func matchAPIVersion(versions []string) (string, error) {
	want := versionKey(AgentAPIVersion)
	for _, version := range versions {
		if !versionPattern.MatchString(version) {
			return "", &InfoError{Field: "plugin_api_versions",
				Reason: fmt.Sprintf("%q is not a version Nomad can parse", version)}
		}
		if versionKey(version) == want {
			return version, nil
		}
	}
	return "", &InfoError{Field: "plugin_api_versions",
		Reason: fmt.Sprintf("%q share no version with the agent's %s", versions, AgentAPIVersion)}
}

// versionKey normalises a version for equality: no "v", no metadata, and
// missing numeric segments counted as zero (1.2 == 1.2.0).
func versionKey(version string) string {
	m := versionPattern.FindStringSubmatch(version)
	if m == nil {
		return version
	}
	segments := strings.Split(m[1], ".")
	for len(segments) < 3 {
		segments = append(segments, "0")
	}
	for i, s := range segments {
		n, _ := strconv.ParseUint(s, 10, 64)
		segments[i] = strconv.FormatUint(n, 10)
	}
	key := strings.Join(segments, ".")
	if m[2] != "" {
		key += "-" + m[2]
	}
	return key
}

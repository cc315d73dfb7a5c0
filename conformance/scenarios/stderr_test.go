package scenarios

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nomad-driver-container/conformance/loader"
	basepb "github.com/nomad-driver-container/conformance/proto/base"
	driverpb "github.com/nomad-driver-container/conformance/proto/drivers"
)

// hclogTimestampLayout is the only @timestamp form go-plugin parses; any
// other turns the line into a plain debug line.
const hclogTimestampLayout = "2006-01-02T15:04:05.000000Z07:00"

var hclogLevels = map[string]bool{"trace": true, "debug": true, "info": true, "warn": true, "error": true}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A JSON log line whose @message, @level or @timestamp is not a string
// panics the Nomad agent; a wrong level or timestamp demotes it to debug.
func TestPluginStderrLinesAreHclogJSONNomadAccepts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 30*time.Second)

	stderr := &lockedBuffer{}
	inst, err := loader.Launch(loader.Options{Binary: e.pluginBin, Env: e.pluginEnv(), RawStderr: stderr})
	if err != nil {
		t.Fatal(err)
	}
	info, err := inst.Base.PluginInfo(ctx, &basepb.PluginInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	apiVersion, err := loader.CheckDriverInfo(info, "container")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inst.Base.SetConfig(ctx, &basepb.SetConfigRequest{PluginApiVersion: apiVersion}); err != nil {
		t.Logf("SetConfig without config: %v", err)
	}
	if _, err := inst.Driver.Init(ctx, &driverpb.InitRequest{}); err != nil {
		t.Logf("Init: %v", err)
	}
	inst.Kill()

	lines := 0
	scanner := bufio.NewScanner(strings.NewReader(stderr.String()))
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		lines++
		checkHclogLine(t, line)
	}
	if lines == 0 {
		t.Errorf("the plugin wrote no JSON log lines on stderr; go-plugin relays only those with levels: %q",
			tail(stderr.String(), 300))
	}
}

func checkHclogLine(t *testing.T, line string) {
	t.Helper()
	var entry map[string]any
	if err := json.Unmarshal([]byte(line), &entry); err != nil {
		t.Errorf("line starts like JSON but is not an object (%v): %s", err, line)
		return
	}
	for _, key := range []string{"@message", "@level"} {
		if _, ok := entry[key].(string); !ok {
			t.Errorf("%s is missing or not a string (a Nomad agent panics on that): %s", key, line)
		}
	}
	if level, ok := entry["@level"].(string); ok && !hclogLevels[strings.ToLower(level)] {
		t.Errorf("@level %q is not one hclog knows: %s", level, line)
	}
	if raw, present := entry["@timestamp"]; present {
		stamp, ok := raw.(string)
		if !ok {
			t.Errorf("@timestamp is not a string: %s", line)
		} else if _, err := time.Parse(hclogTimestampLayout, stamp); err != nil {
			t.Errorf("@timestamp %q does not parse with %s: %s", stamp, hclogTimestampLayout, line)
		}
	}
}

package scenarios

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The metrics block decodes through Nomad's HCL path like any other plugin
// config, and the endpoint serves the running task labelled by its job.
func TestMetricsEndpointFromTheAgentConfigServesTheTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := testContext(t, 60*time.Second)
	e.writeKnobs(map[string]any{"stats_interval_ms": 200})

	address := freeLoopbackAddress(t)
	cfg := e.agentConfig(`
plugin "` + filepath.Base(e.pluginBin) + `" {
  config {
    container_path = "` + e.containerBin + `"
    metrics {
      address  = "` + address + `"
      interval = "1s"
    }
  }
}
`)
	_, driver := e.startAgent(ctx, cfg)
	runner := e.startTask(ctx, driver, e.jobFile("sleeper.nomad"), "sleeper")
	if err := waitForLine(ctx, runner.Logmon.Paths().StdoutLog, "ready"); err != nil {
		t.Fatal(err)
	}

	want := fmt.Sprintf(`nomad_container_memory_usage_bytes{namespace="default",job="sleeper",`+
		`group="sleeper",task="sleeper",alloc_id="%s"}`, runner.Alloc.ID)
	var body string
	for !strings.Contains(body, want) {
		if ctx.Err() != nil {
			t.Fatalf("no %s in the scrape:\n%s", want, body)
		}
		body = scrape(ctx, t, "http://"+address+"/metrics")
		time.Sleep(200 * time.Millisecond)
	}
}

func freeLoopbackAddress(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().String()
}

func scrape(ctx context.Context, t *testing.T, url string) string {
	t.Helper()
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		return "" // not listening yet
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

package hclconfig

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// AgentConfig holds the parts of a Nomad client agent config that matter to
// a driver plugin.
type AgentConfig struct {
	PluginDir string
	// ClientMinPort and ClientMaxPort are client_min_port/client_max_port,
	// which reach the plugin inside SetConfig's nomad_config.
	ClientMinPort uint32
	ClientMaxPort uint32
	// PublishAllocationMetrics gates the TaskStats stream.
	PublishAllocationMetrics bool
	CollectionInterval       time.Duration
	// Plugins is keyed by plugin block label, which must equal the plugin
	// binary's file name.
	Plugins map[string]*PluginBlock
}

// PluginBlock is one `plugin "<label>" { args = [...] config { ... } }`.
type PluginBlock struct {
	Label string
	Args  []string
	// Config is the raw config map, nil when the block has no config.
	Config map[string]any
}

// DefaultAgentConfig is what a client agent uses when nothing is set.
func DefaultAgentConfig() *AgentConfig {
	return &AgentConfig{
		ClientMinPort:      14000,
		ClientMaxPort:      14512,
		CollectionInterval: time.Second,
		Plugins:            map[string]*PluginBlock{},
	}
}

// ParseAgentConfig reads a client agent config file.
func ParseAgentConfig(path string) (*AgentConfig, error) {
	body, src, err := parseFile(path)
	if err != nil {
		return nil, err
	}

	cfg := DefaultAgentConfig()
	top := &bodyReader{body: body}
	cfg.PluginDir = top.str("plugin_dir", "")
	if top.err != nil {
		return nil, fmt.Errorf("%s: %w", path, top.err)
	}

	if client := firstBlock(body, "client"); client != nil {
		r := &bodyReader{body: client.Body}
		cfg.ClientMinPort = uint32(r.integer("client_min_port", int64(cfg.ClientMinPort)))
		cfg.ClientMaxPort = uint32(r.integer("client_max_port", int64(cfg.ClientMaxPort)))
		if r.err != nil {
			return nil, fmt.Errorf("%s: client: %w", path, r.err)
		}
	}

	if telemetry := firstBlock(body, "telemetry"); telemetry != nil {
		r := &bodyReader{body: telemetry.Body}
		cfg.PublishAllocationMetrics = r.boolean("publish_allocation_metrics", false)
		cfg.CollectionInterval = r.duration("collection_interval", cfg.CollectionInterval)
		if r.err != nil {
			return nil, fmt.Errorf("%s: telemetry: %w", path, r.err)
		}
	}

	for _, block := range blocksOf(body, "plugin") {
		plugin, err := parsePluginBlock(block, src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		cfg.Plugins[plugin.Label] = plugin
	}
	return cfg, nil
}

func parsePluginBlock(block *hclsyntax.Block, src []byte) (*PluginBlock, error) {
	plugin := &PluginBlock{Label: label(block)}
	if plugin.Label == "" {
		return nil, fmt.Errorf("plugin block without a label")
	}

	r := &bodyReader{body: block.Body}
	plugin.Args = r.stringList("args")
	if r.err != nil {
		return nil, fmt.Errorf("plugin %q: %w", plugin.Label, r.err)
	}

	if config := firstBlock(block.Body, "config"); config != nil {
		raw, err := RawMap(config.Body, src)
		if err != nil {
			return nil, fmt.Errorf("plugin %q: config: %w", plugin.Label, err)
		}
		plugin.Config = raw
	}
	return plugin, nil
}

// PluginLabel is the plugin block label Nomad matches a plugin binary
// with: its file name without a trailing ".exe".
func PluginLabel(binary string) string {
	return strings.TrimSuffix(filepath.Base(binary), ".exe")
}

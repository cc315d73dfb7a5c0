package harness

import (
	"context"
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2/hcldec"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nomad-driver-container/conformance/hclconfig"
	"github.com/nomad-driver-container/conformance/loader"
	basepb "github.com/nomad-driver-container/conformance/proto/base"
	driverpb "github.com/nomad-driver-container/conformance/proto/drivers"
	"github.com/nomad-driver-container/conformance/schema"
)

// DriverName is the name the plugin must report and jobs select.
const DriverName = "container"

// AgentOptions describe the client agent the harness imitates.
type AgentOptions struct {
	// PluginBinary is the plugin executable. Its file name is the label of
	// the plugin block whose config and args apply to it.
	PluginBinary string
	// Config is the parsed agent config. Nil means defaults plus an empty
	// plugin block for the binary.
	Config *hclconfig.AgentConfig
	// Env entries are added to the plugin's inherited environment.
	Env []string
	// LogOutput receives the plugin's stderr lines (nil: discarded).
	LogOutput io.Writer
}

// Agent holds what the agent learned about the plugin at start.
type Agent struct {
	opts          AgentOptions
	block         *hclconfig.PluginBlock
	Info          *basepb.PluginInfoResponse
	APIVersion    string
	ConfigSpec    hcldec.Spec
	MsgpackConfig []byte
}

// StartAgent loads the plugin as a Nomad client agent does when it starts:
// a fingerprint launch (PluginInfo, ConfigSchema), a validation launch
// (SetConfig twice without nomad_config) when there is a config schema,
// then the long-lived launch (SetConfig with nomad_config, Init) with its
// Fingerprint and TaskEvents streams opened.
func StartAgent(ctx context.Context, opts AgentOptions) (*Agent, *Driver, error) {
	agent, err := newAgent(opts)
	if err != nil {
		return nil, nil, err
	}
	if err := agent.fingerprintPlugin(ctx); err != nil {
		return nil, nil, agent.failure(err)
	}
	if err := agent.parsePluginConfig(); err != nil {
		return nil, nil, agent.failure(err)
	}
	if err := agent.validatePluginConfig(ctx); err != nil {
		return nil, nil, agent.failure(err)
	}

	driver, err := agent.Dispense(ctx)
	if err != nil {
		return nil, nil, err
	}
	return agent, driver, nil
}

func newAgent(opts AgentOptions) (*Agent, error) {
	label := hclconfig.PluginLabel(opts.PluginBinary)
	if opts.Config == nil {
		opts.Config = hclconfig.DefaultAgentConfig()
		opts.Config.Plugins[label] = &hclconfig.PluginBlock{Label: label}
	}

	block, ok := opts.Config.Plugins[label]
	if !ok {
		return nil, fmt.Errorf("agent config has no plugin %q block, so Nomad would not run %s",
			label, opts.PluginBinary)
	}
	return &Agent{opts: opts, block: block}, nil
}

func (a *Agent) failure(err error) error {
	return fmt.Errorf("plugin %s: %w", a.block.Label, err)
}

func (a *Agent) launch() (*loader.Instance, error) {
	return loader.Launch(loader.Options{
		Binary:    a.opts.PluginBinary,
		Args:      a.block.Args,
		Env:       a.opts.Env,
		LogOutput: a.opts.LogOutput,
	})
}

func (a *Agent) fingerprintPlugin(ctx context.Context) error {
	inst, err := a.launch()
	if err != nil {
		return err
	}
	defer inst.Kill()

	info, err := inst.Base.PluginInfo(ctx, &basepb.PluginInfoRequest{})
	if err != nil {
		return fmt.Errorf("PluginInfo: %w", err)
	}
	if a.APIVersion, err = loader.CheckDriverInfo(info, DriverName); err != nil {
		return err
	}
	a.Info = info

	resp, err := inst.Base.ConfigSchema(ctx, &basepb.ConfigSchemaRequest{})
	if err != nil {
		return fmt.Errorf("ConfigSchema: %w", err)
	}
	if resp.GetSpec() == nil {
		return nil
	}
	if a.ConfigSpec, err = schema.Convert(resp.GetSpec()); err != nil {
		return fmt.Errorf("failed converting config schema: %w", err)
	}
	return nil
}

func (a *Agent) parsePluginConfig() error {
	if a.ConfigSpec == nil {
		if a.block.Config != nil {
			return fmt.Errorf("configuration not allowed but config passed")
		}
		return nil
	}

	encoded, err := hclconfig.DecodeAndEncode(a.block.Config, a.ConfigSpec, nil)
	if err != nil {
		return err
	}
	a.MsgpackConfig = encoded
	return nil
}

func (a *Agent) validatePluginConfig(ctx context.Context) error {
	if a.ConfigSpec == nil {
		return nil
	}
	inst, err := a.launch()
	if err != nil {
		return err
	}
	defer inst.Kill()

	for attempt := 0; attempt < 2; attempt++ {
		if err := a.setConfig(ctx, inst, nil); err != nil {
			return fmt.Errorf("setting config on plugin failed: %w", err)
		}
	}
	return nil
}

// Dispense launches a long-lived instance, as the driver manager does at
// start and after the plugin died: SetConfig with nomad_config, then Init.
func (a *Agent) Dispense(ctx context.Context) (*Driver, error) {
	inst, err := a.launch()
	if err != nil {
		return nil, a.failure(err)
	}

	nomad := &basepb.NomadConfig{Driver: &basepb.NomadDriverConfig{
		ClientMinPort: a.opts.Config.ClientMinPort,
		ClientMaxPort: a.opts.Config.ClientMaxPort,
	}}
	if err := a.setConfig(ctx, inst, nomad); err != nil {
		inst.Kill()
		return nil, a.failure(fmt.Errorf("SetConfig: %w", err))
	}
	// Clients before 2.0.4 never call Init; newer ones ignore Unimplemented.
	_, err = inst.Driver.Init(ctx, &driverpb.InitRequest{})
	if err != nil && status.Code(err) != codes.Unimplemented {
		inst.Kill()
		return nil, a.failure(fmt.Errorf("Init: %w", err))
	}

	driver, err := openDriver(inst)
	if err != nil {
		inst.Kill()
		return nil, a.failure(err)
	}
	return driver, nil
}

func (a *Agent) setConfig(ctx context.Context, inst *loader.Instance, nomad *basepb.NomadConfig) error {
	_, err := inst.Base.SetConfig(ctx, &basepb.SetConfigRequest{
		MsgpackConfig:    a.MsgpackConfig,
		NomadConfig:      nomad,
		PluginApiVersion: a.APIVersion,
	})
	return err
}

// PublishAllocationMetrics reports whether the client would call TaskStats.
func (a *Agent) PublishAllocationMetrics() bool {
	return a.opts.Config.PublishAllocationMetrics
}

// AgentConfig is the agent config in effect.
func (a *Agent) AgentConfig() *hclconfig.AgentConfig { return a.opts.Config }

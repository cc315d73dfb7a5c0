package loader

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"

	basepb "github.com/nomad-driver-container/conformance/proto/base"
	driverpb "github.com/nomad-driver-container/conformance/proto/drivers"
)

var errHostOnly = errors.New("the conformance harness only hosts plugins")

// Options says what to launch and with which environment.
type Options struct {
	// Binary is the plugin executable; its file name is the plugin block
	// label Nomad matches it with.
	Binary string
	// Args come from the plugin block's args and follow the binary.
	Args []string
	// Env entries ("KEY=value") override the inherited environment, the
	// way a Nomad agent started with them would pass them on.
	Env []string
	// LogOutput receives the plugin's stderr lines as go-plugin relays them
	// through an hclog logger (nil: discarded).
	LogOutput io.Writer
	// RawStderr, when set, also receives the plugin's stderr verbatim.
	// Nomad sets none; it changes nothing the plugin can see.
	RawStderr io.Writer
}

// Instance is one running plugin process with both faces dispensed.
type Instance struct {
	client *plugin.Client
	Base   basepb.BasePluginClient
	Driver driverpb.DriverClient
	Pid    int
}

// Launch starts the plugin, completes the handshake and dispenses "base"
// and "driver", as Nomad's loader and driver manager do.
func Launch(opts Options) (*Instance, error) {
	cmd := exec.Command(opts.Binary, opts.Args...)
	cmd.Env = mergeEnv(os.Environ(), opts.Env)

	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          pluginSet(),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           pluginLogger(opts),
		Stderr:           opts.RawStderr,
		// The environment is merged above so that Env wins over inherited
		// values; go-plugin would otherwise append the host's after ours.
		SkipHostEnv: true,
	})

	inst, err := dispense(client)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("launch plugin %s: %w", opts.Binary, err)
	}
	return inst, nil
}

func dispense(client *plugin.Client) (*Instance, error) {
	rpc, err := client.Client()
	if err != nil {
		return nil, fmt.Errorf("handshake: %w", err)
	}

	rawBase, err := rpc.Dispense(PluginBase)
	if err != nil {
		return nil, fmt.Errorf("dispense %q: %w", PluginBase, err)
	}
	rawDriver, err := rpc.Dispense(PluginDriver)
	if err != nil {
		return nil, fmt.Errorf("dispense %q: %w", PluginDriver, err)
	}

	return &Instance{
		client: client,
		Base:   rawBase.(basepb.BasePluginClient),
		Driver: rawDriver.(driverpb.DriverClient),
		Pid:    client.ReattachConfig().Pid,
	}, nil
}

// Kill ends the plugin as Nomad does on shutdown: GRPCController/Shutdown,
// then SIGKILL if the process has not exited within two seconds.
func (i *Instance) Kill() { i.client.Kill() }

// Crash SIGKILLs the plugin process, as if it had died, and waits until
// go-plugin has noticed.
func (i *Instance) Crash() error {
	if err := syscall.Kill(i.Pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill -9 plugin pid %d: %w", i.Pid, err)
	}
	i.client.Kill()
	return nil
}

// Exited reports whether the plugin process has exited.
func (i *Instance) Exited() bool { return i.client.Exited() }

func pluginLogger(opts Options) hclog.Logger {
	output := opts.LogOutput
	if output == nil {
		output = io.Discard
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:   "plugin",
		Output: output,
		Level:  hclog.Trace,
	})
}

// mergeEnv returns base with every KEY in overrides replaced or added.
func mergeEnv(base, overrides []string) []string {
	keys := make(map[string]bool, len(overrides))
	for _, entry := range overrides {
		key, _, _ := strings.Cut(entry, "=")
		keys[key] = true
	}

	out := make([]string, 0, len(base)+len(overrides))
	for _, entry := range base {
		key, _, _ := strings.Cut(entry, "=")
		if !keys[key] {
			out = append(out, entry)
		}
	}
	return append(out, overrides...)
}

package loader

import (
	"context"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	basepb "github.com/nomad-driver-container/conformance/proto/base"
	driverpb "github.com/nomad-driver-container/conformance/proto/drivers"
)

// Handshake is Nomad's go-plugin handshake for every plugin type.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  2,
	MagicCookieKey:   "NOMAD_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255",
}

// Names under which Nomad dispenses a driver plugin's two faces.
const (
	PluginBase   = "base"
	PluginDriver = "driver"
)

// basePlugin dispenses a BasePlugin client. The harness only ever acts as
// the host, so serving is unsupported.
type basePlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (basePlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errHostOnly
}

func (basePlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return basepb.NewBasePluginClient(conn), nil
}

// driverPlugin dispenses a Driver client.
type driverPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (driverPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errHostOnly
}

func (driverPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return driverpb.NewDriverClient(conn), nil
}

func pluginSet() plugin.PluginSet {
	return plugin.PluginSet{
		PluginBase:   basePlugin{},
		PluginDriver: driverPlugin{},
	}
}

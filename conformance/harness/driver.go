package harness

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2/hcldec"

	"github.com/nomad-driver-container/conformance/loader"
	driverpb "github.com/nomad-driver-container/conformance/proto/drivers"
	"github.com/nomad-driver-container/conformance/schema"
)

// Driver is the long-lived plugin instance of one client, with its
// Fingerprint and TaskEvents streams held open as the driver manager holds
// them.
type Driver struct {
	inst   *loader.Instance
	cancel context.CancelFunc

	Fingerprints *feed[*driverpb.FingerprintResponse]
	Events       *feed[*driverpb.DriverTaskEvent]
}

func openDriver(inst *loader.Instance) (*Driver, error) {
	ctx, cancel := context.WithCancel(context.Background())
	d := &Driver{
		inst:         inst,
		cancel:       cancel,
		Fingerprints: newFeed[*driverpb.FingerprintResponse](),
		Events:       newFeed[*driverpb.DriverTaskEvent](),
	}

	fingerprints, err := inst.Driver.Fingerprint(ctx, &driverpb.FingerprintRequest{})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("open Fingerprint stream: %w", err)
	}
	go receiveInto(d.Fingerprints, fingerprints.Recv)

	events, err := inst.Driver.TaskEvents(ctx, &driverpb.TaskEventsRequest{})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("open TaskEvents stream: %w", err)
	}
	go receiveInto(d.Events, events.Recv)
	return d, nil
}

// Client is the Driver service of the plugin.
func (d *Driver) Client() driverpb.DriverClient { return d.inst.Driver }

// Pid is the plugin process's ID.
func (d *Driver) Pid() int { return d.inst.Pid }

// FirstFingerprint waits for the first Fingerprint message.
func (d *Driver) FirstFingerprint(ctx context.Context) (*driverpb.FingerprintResponse, error) {
	fp, _, err := d.Fingerprints.WaitFor(ctx, 0, func(*driverpb.FingerprintResponse) bool { return true })
	if err != nil {
		return nil, fmt.Errorf("first fingerprint: %w", err)
	}
	return fp, nil
}

// TaskSpec fetches TaskConfigSchema and converts it, as each task runner
// does before it starts or recovers a task.
func (d *Driver) TaskSpec(ctx context.Context) (hcldec.Spec, error) {
	resp, err := d.inst.Driver.TaskConfigSchema(ctx, &driverpb.TaskConfigSchemaRequest{})
	if err != nil {
		return nil, fmt.Errorf("TaskConfigSchema: %w", err)
	}
	spec, err := schema.Convert(resp.GetSpec())
	if err != nil {
		return nil, fmt.Errorf("convert task config schema: %w", err)
	}
	return spec, nil
}

// Capabilities fetches the driver's capabilities.
func (d *Driver) Capabilities(ctx context.Context) (*driverpb.DriverCapabilities, error) {
	resp, err := d.inst.Driver.Capabilities(ctx, &driverpb.CapabilitiesRequest{})
	if err != nil {
		return nil, fmt.Errorf("Capabilities: %w", err)
	}
	if resp.GetCapabilities() == nil {
		return nil, fmt.Errorf("Capabilities: response carries no capabilities")
	}
	return resp.GetCapabilities(), nil
}

// Crash SIGKILLs the plugin, as if it had died under a running client.
func (d *Driver) Crash() error {
	d.cancel()
	return d.inst.Crash()
}

// Shutdown ends the plugin as a client shutting down does: Driver/Shutdown
// with a 2s deadline (errors ignored), then go-plugin's kill.
func (d *Driver) Shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, _ = d.inst.Driver.Shutdown(ctx, &driverpb.ShutdownRequest{})
	d.cancel()
	d.inst.Kill()
}

package harness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/nomad-driver-container/conformance/hclconfig"
	"github.com/nomad-driver-container/conformance/logmon"
	driverpb "github.com/nomad-driver-container/conformance/proto/drivers"
	structspb "github.com/nomad-driver-container/conformance/proto/structs"
	"github.com/nomad-driver-container/conformance/taskconfig"
)

// MaxKillTimeout is the client's default max_kill_timeout.
const MaxKillTimeout = 30 * time.Second

// TaskRunner runs one task through the driver the way a client's task
// runner does, and keeps the handle a client would persist.
type TaskRunner struct {
	Alloc  *Alloc
	Task   *hclconfig.Task
	Logmon *logmon.Logmon
	Driver *Driver

	// Config is the TaskConfig sent with the last StartTask.
	Config *driverpb.TaskConfig
	// Handle and NetworkOverride are what StartTask returned.
	Handle          *driverpb.TaskHandle
	NetworkOverride *driverpb.NetworkOverride
	Capabilities    *driverpb.DriverCapabilities
}

// ValidationError is a task config the client refuses before StartTask;
// Nomad records it as a "Failed Validation" task event.
type ValidationError struct{ Err error }

func (e *ValidationError) Error() string { return "Failed Validation: " + e.Err.Error() }
func (e *ValidationError) Unwrap() error { return e.Err }

// StartError is a StartTask failure. Recoverable is what the client reads
// from the RecoverableError detail; without one the task is not restarted.
type StartError struct {
	Err         error
	Recoverable bool
}

func (e *StartError) Error() string {
	return fmt.Sprintf("StartTask (recoverable=%t): %v", e.Recoverable, e.Err)
}
func (e *StartError) Unwrap() error { return e.Err }

// Start decodes the task's config against the served schema, builds a
// fresh TaskConfig and calls StartTask.
func (r *TaskRunner) Start(ctx context.Context, driver *Driver) error {
	r.Driver = driver
	spec, err := driver.TaskSpec(ctx)
	if err != nil {
		return err
	}
	if r.Capabilities, err = driver.Capabilities(ctx); err != nil {
		return err
	}

	cfg, vars, err := taskconfig.Build(taskconfig.Input{
		Job: r.Alloc.Job, Group: r.Alloc.Group, Task: r.Task,
		AllocID: r.Alloc.ID, AllocDir: r.Alloc.Dir, Node: r.Alloc.Node, Ports: r.Alloc.Ports,
		FSIsolation: r.Capabilities.GetFsIsolation(),
	})
	if err != nil {
		return fmt.Errorf("build task config: %w", err)
	}
	if cfg.MsgpackDriverConfig, err = hclconfig.DecodeAndEncode(r.Task.Config, spec, vars); err != nil {
		return &ValidationError{Err: err}
	}
	r.Config = cfg

	resp, err := driver.Client().StartTask(ctx, &driverpb.StartTaskRequest{Task: cfg})
	if err != nil {
		return &StartError{Err: err, Recoverable: isRecoverable(err)}
	}
	return r.acceptHandle(resp)
}

// acceptHandle checks what the client relies on in a StartTask reply.
func (r *TaskRunner) acceptHandle(resp *driverpb.StartTaskResponse) error {
	handle := resp.GetHandle()
	if handle == nil || handle.GetConfig() == nil {
		return fmt.Errorf("StartTask succeeded without handle.config; a restarted client would start the task twice")
	}
	if handle.GetConfig().GetId() != r.Config.GetId() {
		return fmt.Errorf("StartTask handle.config.id is %q, want the task ID %q",
			handle.GetConfig().GetId(), r.Config.GetId())
	}
	r.Handle = handle
	r.NetworkOverride = resp.GetNetworkOverride()
	return nil
}

// isRecoverable reads the first status detail as the client does.
func isRecoverable(err error) bool {
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	details := st.Details()
	if len(details) == 0 {
		return false
	}
	detail, ok := details[0].(*structspb.RecoverableError)
	return ok && detail.GetRecoverable()
}

// ID is the task ID the client addresses the task by: handle.config.id.
func (r *TaskRunner) ID() string { return r.Handle.GetConfig().GetId() }

// PersistedHandle is the handle as a client restores it from its state
// database: msgpack_driver_config is not persisted.
func (r *TaskRunner) PersistedHandle() *driverpb.TaskHandle {
	handle := proto.Clone(r.Handle).(*driverpb.TaskHandle)
	handle.Config.MsgpackDriverConfig = nil
	return handle
}

// Recover hands the persisted handle to a (new) driver instance, as a
// client does after a restart: TaskConfigSchema and Capabilities first,
// then RecoverTask with an empty task_id.
func (r *TaskRunner) Recover(ctx context.Context, driver *Driver) error {
	if _, err := driver.TaskSpec(ctx); err != nil {
		return err
	}
	if _, err := driver.Capabilities(ctx); err != nil {
		return err
	}
	_, err := driver.Client().RecoverTask(ctx, &driverpb.RecoverTaskRequest{Handle: r.PersistedHandle()})
	if err != nil {
		return fmt.Errorf("RecoverTask: %w", err)
	}
	r.Driver = driver
	return nil
}

// Exit is a WaitTask answer. ResultAbsent records a reply without result,
// which the client reads as exit 0.
type Exit struct {
	Result       *driverpb.ExitResult
	Err          string
	ResultAbsent bool
}

// Successful applies the client's rule: exit 0, no signal, no error.
func (e Exit) Successful() bool {
	return e.Result.GetExitCode() == 0 && e.Result.GetSignal() == 0 && e.Err == ""
}

func (e Exit) String() string {
	text := fmt.Sprintf("exit_code=%d signal=%d oom_killed=%t",
		e.Result.GetExitCode(), e.Result.GetSignal(), e.Result.GetOomKilled())
	if e.Err != "" {
		text += fmt.Sprintf(" err=%q", e.Err)
	}
	if e.ResultAbsent {
		text += " (no result in reply)"
	}
	return text
}

// Wait blocks in WaitTask until the task exits or ctx ends.
func (r *TaskRunner) Wait(ctx context.Context) (Exit, error) {
	resp, err := r.Driver.Client().WaitTask(ctx, &driverpb.WaitTaskRequest{TaskId: r.ID()})
	if err != nil {
		return Exit{}, fmt.Errorf("WaitTask: %w", err)
	}
	exit := Exit{Result: resp.GetResult(), Err: resp.GetErr(), ResultAbsent: resp.GetResult() == nil}
	if exit.Result == nil {
		exit.Result = &driverpb.ExitResult{}
	}
	return exit, nil
}

// Stop calls StopTask with the given timeout and signal.
func (r *TaskRunner) Stop(ctx context.Context, timeout time.Duration, signal string) error {
	_, err := r.Driver.Client().StopTask(ctx, &driverpb.StopTaskRequest{
		TaskId:  r.ID(),
		Timeout: durationpb.New(timeout),
		Signal:  signal,
	})
	if err != nil {
		return fmt.Errorf("StopTask: %w", err)
	}
	return nil
}

// Destroy calls DestroyTask with force, as the client does whenever it
// drops a handle.
func (r *TaskRunner) Destroy(ctx context.Context) error {
	_, err := r.Driver.Client().DestroyTask(ctx, &driverpb.DestroyTaskRequest{TaskId: r.ID(), Force: true})
	if err != nil {
		return fmt.Errorf("DestroyTask: %w", err)
	}
	return nil
}

// Kill stops the task as the client's kill path does: StopTask with the
// task's kill_timeout (capped at max_kill_timeout) and kill_signal, then
// WaitTask for the result.
func (r *TaskRunner) Kill(ctx context.Context) (Exit, error) {
	timeout := min(r.Task.KillTimeout, MaxKillTimeout)
	if err := r.Stop(ctx, timeout, r.Task.KillSignal); err != nil {
		return Exit{}, err
	}
	return r.Wait(ctx)
}

// Signal calls SignalTask.
func (r *TaskRunner) Signal(ctx context.Context, signal string) error {
	_, err := r.Driver.Client().SignalTask(ctx, &driverpb.SignalTaskRequest{TaskId: r.ID(), Signal: signal})
	if err != nil {
		return fmt.Errorf("SignalTask %s: %w", signal, err)
	}
	return nil
}

// DrainLogs waits up to two seconds for the task's writers to close, then
// stops logmon, as at task stop.
func (r *TaskRunner) DrainLogs() error {
	if r.Logmon == nil {
		return nil
	}
	return r.Logmon.Drain(2 * time.Second)
}

// Events returns the driver events routed to this task, by alloc ID and
// task name as the client routes them.
func (r *TaskRunner) Events() []*driverpb.DriverTaskEvent {
	var out []*driverpb.DriverTaskEvent
	for _, event := range r.Driver.Events.Items() {
		if r.ownsEvent(event) {
			out = append(out, event)
		}
	}
	return out
}

func (r *TaskRunner) ownsEvent(event *driverpb.DriverTaskEvent) bool {
	return event.GetAllocId() == r.Alloc.ID && event.GetTaskName() == r.Task.Name
}

// IsValidation reports whether err is a client-side config rejection.
func IsValidation(err error) bool {
	var v *ValidationError
	return errors.As(err, &v)
}

package taskconfig

import (
	"fmt"
	"os"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/nomad-driver-container/conformance/hclconfig"
	pb "github.com/nomad-driver-container/conformance/proto/drivers"
)

// Input is one task of one allocation.
type Input struct {
	Job      *hclconfig.Job
	Group    *hclconfig.Group
	Task     *hclconfig.Task
	AllocID  string
	AllocDir *AllocDir
	Node     Node
	// Ports are the group's allocated ports, shared by all its tasks.
	Ports []*pb.PortMapping
	// FSIsolation is the driver's capability; it decides whether the task
	// sees its directories as /local, /alloc, /secrets or as host paths,
	// and whether it inherits the host environment.
	FSIsolation pb.DriverCapabilities_FSIsolation
}

// Build returns the TaskConfig for a fresh start attempt (a new task ID
// each call) without msgpack_driver_config, and the variables the driver
// config is to be interpolated with.
//
// Mounts stay empty: Nomad fills TaskConfig.mounts only from volume_mount
// (host and CSI volumes). Mounting alloc/, local/ and secrets/ at /alloc,
// /local and /secrets is the driver's own job, derived from alloc_dir.
func Build(in Input) (*pb.TaskConfig, map[string]cty.Value, error) {
	cores, err := ReserveCores(in.Task.Resources.Cores, in.Node)
	if err != nil {
		return nil, nil, err
	}
	resources := BuildResources(in.Task.Resources, cores, in.Ports, in.Node)

	env, vars, err := taskEnvironment(in, resources, cores)
	if err != nil {
		return nil, nil, err
	}

	stdout, stderr := in.AllocDir.FIFOPath(in.Task.Name, "stdout"), in.AllocDir.FIFOPath(in.Task.Name, "stderr")
	if in.Task.LogsDisabled {
		stdout, stderr = "/dev/null", "/dev/null"
	}

	return &pb.TaskConfig{
		Id:            NewTaskID(in.AllocID, in.Task.Name),
		Name:          in.Task.Name,
		Env:           env,
		DeviceEnv:     map[string]string{},
		Resources:     resources,
		User:          in.Task.User,
		AllocDir:      in.AllocDir.Root,
		StdoutPath:    stdout,
		StderrPath:    stderr,
		TaskGroupName: in.Group.Name,
		JobName:       in.Job.Name,
		JobId:         in.Job.ID,
		AllocId:       in.AllocID,
		Namespace:     in.Job.Namespace,
		NodeName:      in.Node.Name,
		NodeId:        in.Node.ID,
	}, vars, nil
}

// taskEnvironment builds the env in two passes, as the client does: the
// NOMAD_* variables first, then the task's env and meta values interpolated
// against them.
func taskEnvironment(in Input, resources *pb.Resources, cores []int) (map[string]string, map[string]cty.Value, error) {
	envIn := EnvInput{
		AllocID:   in.AllocID,
		AllocName: fmt.Sprintf("%s.%s[0]", in.Job.ID, in.Group.Name),
		JobID:     in.Job.ID,
		JobName:   in.Job.Name,
		Namespace: in.Job.Namespace,
		GroupName: in.Group.Name,
		TaskName:  in.Task.Name,
		Node:      in.Node,
		Resources: resources,
		Cores:     cores,
		Dirs:      ImageTaskDirs,
	}
	switch in.FSIsolation {
	case pb.DriverCapabilities_IMAGE:
	case pb.DriverCapabilities_NONE:
		envIn.Dirs = TaskDirs{
			Alloc:   in.AllocDir.SharedDir(),
			Local:   in.AllocDir.TaskLocalDir(in.Task.Name),
			Secrets: in.AllocDir.TaskSecretsDir(in.Task.Name),
		}
		envIn.HostEnv = hostEnv()
	default:
		envIn.HostEnv = hostEnv()
	}
	baseVars := InterpolationVars(BuildEnv(envIn), in.Node)

	var err error
	if envIn.TaskEnv, err = interpolateAll(in.Task.Env, baseVars); err != nil {
		return nil, nil, fmt.Errorf("task %q env: %w", in.Task.Name, err)
	}
	if envIn.TaskMeta, err = interpolateAll(in.Task.Meta, baseVars); err != nil {
		return nil, nil, fmt.Errorf("task %q meta: %w", in.Task.Name, err)
	}

	env := BuildEnv(envIn)
	return env, InterpolationVars(env, in.Node), nil
}

// hostEnv is the client's environment as a task without image isolation
// inherits it. Nomad strips a denylist of the agent's own variables
// (client.options "env.denylist"); the harness has none to strip.
func hostEnv() map[string]string {
	env := map[string]string{}
	for _, entry := range os.Environ() {
		if key, value, ok := strings.Cut(entry, "="); ok {
			env[key] = value
		}
	}
	return env
}

func interpolateAll(values map[string]string, vars map[string]cty.Value) (map[string]string, error) {
	out := make(map[string]string, len(values))
	for key, value := range values {
		resolved, err := hclconfig.Interpolate(value, vars)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out[key] = resolved
	}
	return out, nil
}

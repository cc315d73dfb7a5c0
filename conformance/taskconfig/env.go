package taskconfig

import (
	"net"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"

	pb "github.com/nomad-driver-container/conformance/proto/drivers"
)

// EnvInput is what the task environment is built from.
type EnvInput struct {
	AllocID   string
	AllocName string
	JobID     string
	JobName   string
	Namespace string
	GroupName string
	TaskName  string
	Node      Node
	Resources *pb.Resources
	Cores     []int
	// TaskEnv is the task's own env block and TaskMeta its meta block,
	// both already interpolated.
	TaskEnv  map[string]string
	TaskMeta map[string]string
	// Dirs are the task's directories as the task sees them.
	Dirs TaskDirs
	// HostEnv is inherited by tasks whose driver does not isolate the
	// filesystem with an image (nil otherwise).
	HostEnv map[string]string
}

// TaskDirs are the values of NOMAD_ALLOC_DIR, NOMAD_TASK_DIR and
// NOMAD_SECRETS_DIR.
type TaskDirs struct {
	Alloc   string
	Local   string
	Secrets string
}

// ImageTaskDirs are the in-container paths an IMAGE or CHROOT driver
// mounts the directories at.
var ImageTaskDirs = TaskDirs{Alloc: "/alloc", Local: "/local", Secrets: "/secrets"}

// BuildEnv returns the runtime environment Nomad gives a task: the host
// environment first when the driver does not isolate with an image, then
// the NOMAD_* variables, then the task's meta and env blocks.
func BuildEnv(in EnvInput) map[string]string {
	env := map[string]string{}
	for key, value := range in.HostEnv {
		env[key] = value
	}

	nomad := map[string]string{
		"NOMAD_ALLOC_DIR":      in.Dirs.Alloc,
		"NOMAD_TASK_DIR":       in.Dirs.Local,
		"NOMAD_SECRETS_DIR":    in.Dirs.Secrets,
		"NOMAD_ALLOC_ID":       in.AllocID,
		"NOMAD_SHORT_ALLOC_ID": in.AllocID[:8],
		"NOMAD_ALLOC_NAME":     in.AllocName,
		"NOMAD_ALLOC_INDEX":    "0",
		"NOMAD_TASK_NAME":      in.TaskName,
		"NOMAD_GROUP_NAME":     in.GroupName,
		"NOMAD_JOB_ID":         in.JobID,
		"NOMAD_JOB_NAME":       in.JobName,
		"NOMAD_NAMESPACE":      in.Namespace,
		"NOMAD_DC":             in.Node.Datacenter,
		"NOMAD_REGION":         in.Node.Region,
	}
	for key, value := range nomad {
		env[key] = value
	}
	addResourceEnv(env, in.Resources, in.Cores)
	addPortEnv(env, in.Resources.GetPorts())

	for key, value := range in.TaskMeta {
		env["NOMAD_META_"+key] = value
		env["NOMAD_META_"+strings.ToUpper(key)] = value
	}
	for key, value := range in.TaskEnv {
		env[key] = value
	}
	return env
}

func addResourceEnv(env map[string]string, res *pb.Resources, cores []int) {
	alloc := res.GetAllocatedResources()
	env["NOMAD_CPU_LIMIT"] = strconv.FormatInt(alloc.GetCpu().GetCpuShares(), 10)
	env["NOMAD_MEMORY_LIMIT"] = strconv.FormatInt(alloc.GetMemory().GetMemoryMb(), 10)
	if maxMB := alloc.GetMemory().GetMemoryMaxMb(); maxMB > 0 {
		env["NOMAD_MEMORY_MAX_LIMIT"] = strconv.FormatInt(maxMB, 10)
	}
	if len(cores) > 0 {
		env["NOMAD_CPU_CORES"] = joinCores(cores)
	}
}

// addPortEnv sets the per-label port variables of group networking:
// NOMAD_PORT_<label> is the mapped-to port when `to` is set, else the host
// port.
func addPortEnv(env map[string]string, ports []*pb.PortMapping) {
	for _, port := range ports {
		host := strconv.Itoa(int(port.GetValue()))
		inTask := host
		if port.GetTo() > 0 {
			inTask = strconv.Itoa(int(port.GetTo()))
		}
		addr := net.JoinHostPort(port.GetHostIp(), host)

		env["NOMAD_IP_"+port.GetLabel()] = port.GetHostIp()
		env["NOMAD_HOST_IP_"+port.GetLabel()] = port.GetHostIp()
		env["NOMAD_ADDR_"+port.GetLabel()] = addr
		env["NOMAD_HOST_ADDR_"+port.GetLabel()] = addr
		env["NOMAD_HOST_PORT_"+port.GetLabel()] = host
		env["NOMAD_PORT_"+port.GetLabel()] = inTask
		env["NOMAD_ALLOC_PORT_"+port.GetLabel()] = inTask
	}
}

// InterpolationVars are the variables a task's config is interpolated with
// at task start: every env var by name, the env map, and node values.
func InterpolationVars(env map[string]string, node Node) map[string]cty.Value {
	vars := map[string]cty.Value{}
	envValues := map[string]cty.Value{}
	for key, value := range env {
		envValues[key] = cty.StringVal(value)
		if !strings.Contains(key, ".") {
			vars[key] = cty.StringVal(value)
		}
	}
	vars["env"] = cty.MapVal(envValues)
	if len(envValues) == 0 {
		vars["env"] = cty.MapValEmpty(cty.String)
	}

	vars["node"] = cty.ObjectVal(map[string]cty.Value{
		"unique": cty.ObjectVal(map[string]cty.Value{
			"id":   cty.StringVal(node.ID),
			"name": cty.StringVal(node.Name),
		}),
		"datacenter": cty.StringVal(node.Datacenter),
		"region":     cty.StringVal(node.Region),
	})
	return vars
}

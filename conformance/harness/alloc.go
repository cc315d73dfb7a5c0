package harness

import (
	"fmt"

	"github.com/nomad-driver-container/conformance/hclconfig"
	"github.com/nomad-driver-container/conformance/logmon"
	driverpb "github.com/nomad-driver-container/conformance/proto/drivers"
	"github.com/nomad-driver-container/conformance/taskconfig"
)

// Alloc is one allocation of a task group on this node.
type Alloc struct {
	ID    string
	Job   *hclconfig.Job
	Group *hclconfig.Group
	Node  taskconfig.Node
	Dir   *taskconfig.AllocDir
	Ports []*driverpb.PortMapping
}

// NewAlloc allocates the group's ports and lays out its alloc directory
// under parentDir.
func NewAlloc(job *hclconfig.Job, group *hclconfig.Group, node taskconfig.Node, parentDir string) (*Alloc, error) {
	id := taskconfig.NewUUID()
	ports, err := taskconfig.AllocatePorts(group.Ports, node)
	if err != nil {
		return nil, fmt.Errorf("group %q: %w", group.Name, err)
	}

	names := make([]string, len(group.Tasks))
	for i, task := range group.Tasks {
		names[i] = task.Name
	}
	dir, err := taskconfig.CreateAllocDir(parentDir, id, names)
	if err != nil {
		return nil, fmt.Errorf("group %q: %w", group.Name, err)
	}
	return &Alloc{ID: id, Job: job, Group: group, Node: node, Dir: dir, Ports: ports}, nil
}

// NewTask prepares a task runner with its logmon started, as the task's
// prestart hooks leave it before the driver is asked to start it.
func (a *Alloc) NewTask(name string) (*TaskRunner, error) {
	var task *hclconfig.Task
	for _, candidate := range a.Group.Tasks {
		if candidate.Name == name {
			task = candidate
		}
	}
	if task == nil {
		return nil, fmt.Errorf("group %q has no task %q", a.Group.Name, name)
	}

	runner := &TaskRunner{Alloc: a, Task: task}
	if task.LogsDisabled {
		return runner, nil
	}

	mon, err := logmon.New(a.LogPaths(name))
	if err != nil {
		return nil, fmt.Errorf("task %q: %w", name, err)
	}
	if err := mon.Start(); err != nil {
		return nil, fmt.Errorf("task %q: start logmon: %w", name, err)
	}
	runner.Logmon = mon
	return runner, nil
}

// LogPaths names a task's FIFOs and first log files.
func (a *Alloc) LogPaths(task string) logmon.Paths {
	return logmon.Paths{
		StdoutFIFO: a.Dir.FIFOPath(task, "stdout"),
		StderrFIFO: a.Dir.FIFOPath(task, "stderr"),
		StdoutLog:  a.Dir.LogPath(task, "stdout", 0),
		StderrLog:  a.Dir.LogPath(task, "stderr", 0),
	}
}

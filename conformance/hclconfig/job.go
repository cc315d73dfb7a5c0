package hclconfig

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Job is the part of a job file a task driver sees, with Nomad's defaults
// applied.
type Job struct {
	ID        string
	Name      string
	Namespace string
	Type      string
	Groups    []*Group
}

// Group is a task group with its group-level network ports.
type Group struct {
	Name  string
	Ports []Port
	Tasks []*Task
}

// Port is one `port "<label>" { static = n; to = n; host_network = "" }`.
type Port struct {
	Label       string
	Static      int
	To          int
	HostNetwork string
}

// Task is one task. Config is the raw driver config map (see RawMap).
type Task struct {
	Name         string
	Driver       string
	User         string
	Config       map[string]any
	Env          map[string]string
	Meta         map[string]string
	Resources    Resources
	KillTimeout  time.Duration
	KillSignal   string
	LogsDisabled bool
}

// Resources is a task's resources block. Cores, when set, replaces CPU.
type Resources struct {
	CPU         int
	Cores       int
	MemoryMB    int
	MemoryMaxMB int
}

// ParseJob reads a job file.
func ParseJob(path string) (*Job, error) {
	body, src, err := parseFile(path)
	if err != nil {
		return nil, err
	}
	block := firstBlock(body, "job")
	if block == nil || label(block) == "" {
		return nil, fmt.Errorf("%s: no labelled job block", path)
	}

	job, err := parseJobBlock(block, src)
	if err != nil {
		return nil, fmt.Errorf("%s: job %q: %w", path, label(block), err)
	}
	return job, nil
}

func parseJobBlock(block *hclsyntax.Block, src []byte) (*Job, error) {
	r := &bodyReader{body: block.Body}
	job := &Job{
		ID:        label(block),
		Name:      r.str("name", label(block)),
		Namespace: r.str("namespace", "default"),
		Type:      r.str("type", "service"),
	}
	if r.err != nil {
		return nil, r.err
	}

	for _, groupBlock := range blocksOf(block.Body, "group") {
		group, err := parseGroup(groupBlock, src)
		if err != nil {
			return nil, fmt.Errorf("group %q: %w", label(groupBlock), err)
		}
		job.Groups = append(job.Groups, group)
	}
	if len(job.Groups) == 0 {
		return nil, fmt.Errorf("no group blocks")
	}
	return job, nil
}

func parseGroup(block *hclsyntax.Block, src []byte) (*Group, error) {
	group := &Group{Name: label(block)}
	if network := firstBlock(block.Body, "network"); network != nil {
		ports, err := parsePorts(network.Body)
		if err != nil {
			return nil, fmt.Errorf("network: %w", err)
		}
		group.Ports = ports
	}

	for _, taskBlock := range blocksOf(block.Body, "task") {
		task, err := parseTask(taskBlock, src)
		if err != nil {
			return nil, fmt.Errorf("task %q: %w", label(taskBlock), err)
		}
		group.Tasks = append(group.Tasks, task)
	}
	if len(group.Tasks) == 0 {
		return nil, fmt.Errorf("no task blocks")
	}
	return group, nil
}

func parsePorts(body *hclsyntax.Body) ([]Port, error) {
	var ports []Port
	for _, block := range blocksOf(body, "port") {
		r := &bodyReader{body: block.Body}
		port := Port{
			Label:       label(block),
			Static:      int(r.integer("static", 0)),
			To:          int(r.integer("to", 0)),
			HostNetwork: r.str("host_network", "default"),
		}
		if r.err != nil {
			return nil, fmt.Errorf("port %q: %w", port.Label, r.err)
		}
		ports = append(ports, port)
	}
	return ports, nil
}

func parseTask(block *hclsyntax.Block, src []byte) (*Task, error) {
	r := &bodyReader{body: block.Body}
	task := &Task{
		Name:        label(block),
		Driver:      r.str("driver", ""),
		User:        r.str("user", ""),
		Env:         r.stringMap("env", src),
		Meta:        r.stringMap("meta", src),
		KillTimeout: r.duration("kill_timeout", 5*time.Second),
		KillSignal:  r.str("kill_signal", ""),
		Resources:   Resources{CPU: 100, MemoryMB: 300},
	}
	if r.err != nil {
		return nil, r.err
	}

	if resources := firstBlock(block.Body, "resources"); resources != nil {
		rr := &bodyReader{body: resources.Body}
		task.Resources = Resources{
			CPU:         int(rr.integer("cpu", 100)),
			Cores:       int(rr.integer("cores", 0)),
			MemoryMB:    int(rr.integer("memory", 300)),
			MemoryMaxMB: int(rr.integer("memory_max", 0)),
		}
		if rr.err != nil {
			return nil, fmt.Errorf("resources: %w", rr.err)
		}
	}

	if logs := firstBlock(block.Body, "logs"); logs != nil {
		lr := &bodyReader{body: logs.Body}
		task.LogsDisabled = lr.boolean("disabled", false)
		if lr.err != nil {
			return nil, fmt.Errorf("logs: %w", lr.err)
		}
	}

	if config := firstBlock(block.Body, "config"); config != nil {
		raw, err := RawMap(config.Body, src)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		task.Config = raw
	}
	return task, nil
}

// Task returns the named task and its group.
func (j *Job) Task(name string) (*Group, *Task, bool) {
	for _, group := range j.Groups {
		for _, task := range group.Tasks {
			if task.Name == name {
				return group, task, true
			}
		}
	}
	return nil, nil, false
}

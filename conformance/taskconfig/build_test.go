package taskconfig

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/nomad-driver-container/conformance/hclconfig"
	pb "github.com/nomad-driver-container/conformance/proto/drivers"
)

func testInput(t *testing.T) Input {
	t.Helper()
	job := &hclconfig.Job{ID: "web-job", Name: "web", Namespace: "default", Type: "service"}
	task := &hclconfig.Task{
		Name:      "server",
		Driver:    "container",
		Env:       map[string]string{"DATA": "${NOMAD_TASK_DIR}/data"},
		Resources: hclconfig.Resources{CPU: 250, MemoryMB: 128, MemoryMaxMB: 256},
	}
	group := &hclconfig.Group{Name: "frontend", Tasks: []*hclconfig.Task{task},
		Ports: []hclconfig.Port{{Label: "http", To: 8080}, {Label: "admin", To: -1}}}

	node := LocalNode()
	node.Cores = 4
	allocID := NewUUID()
	dir, err := CreateAllocDir(t.TempDir(), allocID, []string{"server"})
	if err != nil {
		t.Fatal(err)
	}
	ports, err := AllocatePorts(group.Ports, node)
	if err != nil {
		t.Fatal(err)
	}
	return Input{Job: job, Group: group, Task: task, AllocID: allocID, AllocDir: dir, Node: node, Ports: ports,
		FSIsolation: pb.DriverCapabilities_IMAGE}
}

func TestNewTaskIDHasAllocTaskAndEightRandomChars(t *testing.T) {
	alloc := NewUUID()
	id := NewTaskID(alloc, "server")
	if !regexp.MustCompile("^" + alloc + `/server/[0-9a-f]{8}$`).MatchString(id) {
		t.Errorf("task ID %q is not <alloc>/<task>/<8 chars>", id)
	}
	if NewTaskID(alloc, "server") == id {
		t.Error("two start attempts got the same task ID")
	}
}

func TestCreateAllocDirLaysOutSharedAndTaskDirectories(t *testing.T) {
	in := testInput(t)
	for _, path := range []string{
		in.AllocDir.LogDir(), in.AllocDir.SharedDir() + "/tmp", in.AllocDir.SharedDir() + "/data",
		in.AllocDir.TaskLocalDir("server"), in.AllocDir.TaskSecretsDir("server"),
		in.AllocDir.TaskPrivateDir("server"), in.AllocDir.TaskDir("server") + "/tmp",
	} {
		info, err := os.Stat(path)
		if err != nil || !info.IsDir() {
			t.Errorf("%s is not a directory: %v", path, err)
		}
	}
	info, err := os.Stat(in.AllocDir.TaskDir("server") + "/tmp")
	if err != nil || info.Mode()&os.ModeSticky == 0 {
		t.Errorf("task tmp dir is not sticky: %v", info.Mode())
	}
}

func TestBuildFillsIdentityDirsAndFIFOs(t *testing.T) {
	in := testInput(t)
	cfg, _, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}

	if !strings.HasPrefix(cfg.Id, in.AllocID+"/server/") || cfg.Name != "server" {
		t.Errorf("id=%q name=%q", cfg.Id, cfg.Name)
	}
	if cfg.JobId != "web-job" || cfg.JobName != "web" || cfg.TaskGroupName != "frontend" ||
		cfg.Namespace != "default" || cfg.AllocId != in.AllocID || cfg.NodeId != in.Node.ID || cfg.NodeName == "" {
		t.Errorf("identity fields wrong: %+v", cfg)
	}
	if cfg.AllocDir != in.AllocDir.Root {
		t.Errorf("alloc_dir = %q, want %q", cfg.AllocDir, in.AllocDir.Root)
	}
	wantStdout := in.AllocDir.LogDir() + "/.server.stdout.fifo"
	if cfg.StdoutPath != wantStdout || cfg.StderrPath != in.AllocDir.LogDir()+"/.server.stderr.fifo" {
		t.Errorf("stdout_path=%q stderr_path=%q", cfg.StdoutPath, cfg.StderrPath)
	}
	if len(cfg.Mounts) != 0 {
		t.Errorf("mounts = %v, want none without volume_mount", cfg.Mounts)
	}
}

func TestBuildSendsDevNullWhenLogsAreDisabled(t *testing.T) {
	in := testInput(t)
	in.Task.LogsDisabled = true
	cfg, _, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StdoutPath != "/dev/null" || cfg.StderrPath != "/dev/null" {
		t.Errorf("stdout_path=%q stderr_path=%q, want /dev/null", cfg.StdoutPath, cfg.StderrPath)
	}
}

func TestBuildEnvHasNomadRuntimeVariables(t *testing.T) {
	in := testInput(t)
	cfg, vars, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	http, admin := in.Ports[0], in.Ports[1]

	want := map[string]string{
		"NOMAD_ALLOC_ID":         in.AllocID,
		"NOMAD_TASK_NAME":        "server",
		"NOMAD_GROUP_NAME":       "frontend",
		"NOMAD_JOB_NAME":         "web",
		"NOMAD_JOB_ID":           "web-job",
		"NOMAD_NAMESPACE":        "default",
		"NOMAD_TASK_DIR":         "/local",
		"NOMAD_ALLOC_DIR":        "/alloc",
		"NOMAD_SECRETS_DIR":      "/secrets",
		"NOMAD_CPU_LIMIT":        "250",
		"NOMAD_MEMORY_LIMIT":     "128",
		"NOMAD_MEMORY_MAX_LIMIT": "256",
		"NOMAD_PORT_http":        "8080",
		"NOMAD_HOST_PORT_http":   itoa(http.Value),
		"NOMAD_PORT_admin":       itoa(admin.Value),
		"NOMAD_IP_http":          "127.0.0.1",
		"DATA":                   "/local/data",
	}
	for key, value := range want {
		if cfg.Env[key] != value {
			t.Errorf("env %s = %q, want %q", key, cfg.Env[key], value)
		}
	}
	if got := vars["NOMAD_TASK_NAME"].AsString(); got != "server" {
		t.Errorf("interpolation var NOMAD_TASK_NAME = %q", got)
	}
}

func TestBuildEnvUsesHostPathsAndHostEnvWithoutIsolation(t *testing.T) {
	in := testInput(t)
	in.FSIsolation = pb.DriverCapabilities_NONE
	t.Setenv("CONFORMANCE_HOST_VAR", "from-host")
	cfg, _, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Env["NOMAD_TASK_DIR"]; got != in.AllocDir.TaskLocalDir("server") {
		t.Errorf("NOMAD_TASK_DIR = %q, want the host path", got)
	}
	if got := cfg.Env["CONFORMANCE_HOST_VAR"]; got != "from-host" {
		t.Errorf("host env not inherited: CONFORMANCE_HOST_VAR = %q", got)
	}
}

func TestBuildEnvLeavesHostEnvOutWithImageIsolation(t *testing.T) {
	in := testInput(t)
	t.Setenv("CONFORMANCE_HOST_VAR", "from-host")
	cfg, _, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.Env["CONFORMANCE_HOST_VAR"]; ok {
		t.Error("host env leaked into an IMAGE-isolated task")
	}
}

func TestBuildResourcesMatchesTheClient(t *testing.T) {
	in := testInput(t)
	cfg, _, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	res := cfg.Resources

	if res.AllocatedResources.Cpu.CpuShares != 250 || res.LinuxResources.CpuShares != 250 {
		t.Errorf("cpu shares = %d / %d, want 250", res.AllocatedResources.Cpu.CpuShares, res.LinuxResources.CpuShares)
	}
	if res.AllocatedResources.Memory.MemoryMb != 128 || res.AllocatedResources.Memory.MemoryMaxMb != 256 {
		t.Errorf("memory = %+v", res.AllocatedResources.Memory)
	}
	if res.LinuxResources.MemoryLimitBytes != 256*1024*1024 {
		t.Errorf("memory_limit_bytes = %d, want max(memory, memory_max) MiB", res.LinuxResources.MemoryLimitBytes)
	}
	if len(res.Ports) != 2 || res.Ports[0].To != 8080 || res.Ports[1].To != res.Ports[1].Value {
		t.Errorf("ports = %v, want http to=8080 and admin to=value", res.Ports)
	}
	if res.Ports[0].HostIp != "127.0.0.1" || res.Ports[0].Value == 0 {
		t.Errorf("http port = %v, want a loopback host port", res.Ports[0])
	}
}

func TestBuildReservesCoresAsACpuset(t *testing.T) {
	in := testInput(t)
	in.Task.Resources.Cores = 2
	cfg, _, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Resources.LinuxResources.CpusetCpus; got != "0,1" {
		t.Errorf("cpuset_cpus = %q, want 0,1", got)
	}
	if got := cfg.Resources.AllocatedResources.Cpu.CpuShares; got != int64(2*in.Node.CoreMHz) {
		t.Errorf("cpu_shares = %d, want the two cores' MHz", got)
	}
	if cfg.Env["NOMAD_CPU_CORES"] != "0,1" {
		t.Errorf("NOMAD_CPU_CORES = %q", cfg.Env["NOMAD_CPU_CORES"])
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

package scenarios

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nomad-driver-container/conformance/harness"
	"github.com/nomad-driver-container/conformance/hclconfig"
	driverpb "github.com/nomad-driver-container/conformance/proto/drivers"
	"github.com/nomad-driver-container/conformance/taskconfig"
)

// Helpers for the task-config surface scenarios (ports, volumes, env,
// labels, auth, network modes, pulls, refused configs).

// containerDetail is one entry of `container list --all --format json`,
// which has the same shape as `container inspect`.
type containerDetail struct {
	ID            string `json:"id"`
	Configuration struct {
		Labels         map[string]string `json:"labels"`
		PublishedPorts []struct {
			HostAddress   string `json:"hostAddress"`
			HostPort      int    `json:"hostPort"`
			ContainerPort int    `json:"containerPort"`
			Proto         string `json:"proto"`
			Count         int    `json:"count"`
		} `json:"publishedPorts"`
		Networks []struct {
			Network string `json:"network"`
		} `json:"networks"`
		Mounts []struct {
			Source      string         `json:"source"`
			Destination string         `json:"destination"`
			Type        map[string]any `json:"type"`
		} `json:"mounts"`
	} `json:"configuration"`
	Status struct {
		State    string `json:"state"`
		Networks []struct {
			Network     string `json:"network"`
			IPv4Address string `json:"ipv4Address"`
		} `json:"networks"`
	} `json:"status"`
}

// runCLI runs the container CLI against the test's stand-in root.
func (e *testEnv) runCLI(ctx context.Context, stdin string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, e.containerBin, args...)
	cmd.Env = append(os.Environ(), standinRootEnv+"="+e.standinRoot)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, errors.New(strings.Join(args, " ") + ": " + err.Error() + ": " + strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// containers lists every container of the stand-in root with its config.
func (e *testEnv) containers(ctx context.Context) []containerDetail {
	e.t.Helper()
	out, err := e.runCLI(ctx, "", "list", "--all", "--format", "json")
	if err != nil {
		e.t.Fatal(err)
	}
	var list []containerDetail
	if err := json.Unmarshal(out, &list); err != nil {
		e.t.Fatalf("container list output %q: %v", out, err)
	}
	return list
}

// containersOf returns the containers labelled as the runner's task.
func (e *testEnv) containersOf(ctx context.Context, runner *harness.TaskRunner) []containerDetail {
	e.t.Helper()
	var out []containerDetail
	for _, c := range e.containers(ctx) {
		if c.Configuration.Labels["nomad.alloc_id"] == runner.Alloc.ID &&
			c.Configuration.Labels["nomad.task_name"] == runner.Task.Name {
			out = append(out, c)
		}
	}
	return out
}

// containerOf returns the one container of the runner's task.
func (e *testEnv) containerOf(ctx context.Context, runner *harness.TaskRunner) containerDetail {
	e.t.Helper()
	found := e.containersOf(ctx, runner)
	if len(found) != 1 {
		e.t.Fatalf("task %q of alloc %s has %d containers, want 1", runner.Task.Name, runner.Alloc.ID, len(found))
	}
	return found[0]
}

// registryLogins is `container registry list --format json`: the hosts
// that have stored credentials.
func (e *testEnv) registryLogins(ctx context.Context) []string {
	e.t.Helper()
	out, err := e.runCLI(ctx, "", "registry", "list", "--format", "json")
	if err != nil {
		e.t.Fatal(err)
	}
	var entries []struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Username string `json:"username"`
	}
	if err := json.Unmarshal(out, &entries); err != nil {
		e.t.Fatalf("registry list output %q: %v", out, err)
	}
	var hosts []string
	for _, entry := range entries {
		hosts = append(hosts, entry.ID+" (user "+entry.Username+")")
	}
	return hosts
}

// cliCall is one line of the stand-in's calls.log.
type cliCall struct {
	TS   int64    `json:"ts"`
	PID  int      `json:"pid"`
	Argv []string `json:"argv"`
}

// calls returns every CLI call recorded so far.
func (e *testEnv) calls() []cliCall {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.standinRoot, "calls.log"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	var out []cliCall
	scanner := bufio.NewScanner(bytes.NewReader(data))
	scanner.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for scanner.Scan() {
		if strings.TrimSpace(scanner.Text()) == "" {
			continue
		}
		var c cliCall
		if err := json.Unmarshal(scanner.Bytes(), &c); err != nil {
			e.t.Fatalf("calls.log line %q: %v", scanner.Text(), err)
		}
		out = append(out, c)
	}
	return out
}

// isImagePull says whether a call is `container image pull` in any of the
// spellings the stand-in accepts.
func isImagePull(c cliCall) bool {
	return len(c.Argv) >= 2 && (c.Argv[0] == "image" || c.Argv[0] == "i" || c.Argv[0] == "images") &&
		c.Argv[1] == "pull"
}

var placeholder = regexp.MustCompile(`@[A-Z_]+@`)

// jobFromTemplate parses testdata/jobs/<name> after replacing each key of
// vars (written as @KEY@ in the file) with its value.
func (e *testEnv) jobFromTemplate(name string, vars map[string]string) *hclconfig.Job {
	e.t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "jobs", name))
	if err != nil {
		e.t.Fatal(err)
	}
	text := string(src)
	for key, value := range vars {
		text = strings.ReplaceAll(text, "@"+key+"@", value)
	}
	if left := placeholder.FindString(text); left != "" {
		e.t.Fatalf("job template %s: placeholder %s left unreplaced", name, left)
	}
	path := filepath.Join(e.t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return e.jobFile(path)
}

// prepareAlloc allocates one group (ports, alloc dir) so that several of
// its tasks can run in the same allocation, as Nomad runs a group.
func (e *testEnv) prepareAlloc(job *hclconfig.Job, groupName string) *harness.Alloc {
	e.t.Helper()
	for _, group := range job.Groups {
		if group.Name != groupName {
			continue
		}
		alloc, err := harness.NewAlloc(job, group, taskconfig.LocalNode(), e.t.TempDir())
		if err != nil {
			e.t.Fatal(err)
		}
		return alloc
	}
	e.t.Fatalf("job %q has no group %q", job.ID, groupName)
	return nil
}

// allocTask prepares one task of an allocation; it is destroyed when the
// test ends.
func (e *testEnv) allocTask(alloc *harness.Alloc, taskName string) *harness.TaskRunner {
	e.t.Helper()
	runner, err := alloc.NewTask(taskName)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { e.cleanupTask(runner) })
	return runner
}

// startError requires err to be a StartTask failure (not a client-side
// decode refusal) and returns it.
func startError(t *testing.T, what string, err error) *harness.StartError {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: the task started", what)
	}
	var se *harness.StartError
	if !errors.As(err, &se) {
		t.Fatalf("%s: want a StartTask error, got %v", what, err)
	}
	return se
}

// waitForEvent waits for a driver task event of the runner whose message
// contains text.
func waitForEvent(ctx context.Context, runner *harness.TaskRunner, text string, within time.Duration) (*driverpb.DriverTaskEvent, error) {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	event, _, err := runner.Driver.Events.WaitFor(ctx, 0, func(ev *driverpb.DriverTaskEvent) bool {
		return ev.GetAllocId() == runner.Alloc.ID && ev.GetTaskName() == runner.Task.Name &&
			strings.Contains(ev.GetMessage(), text)
	})
	return event, err
}

// eventMessages is every event message routed to the runner so far.
func eventMessages(runner *harness.TaskRunner) []string {
	var out []string
	for _, ev := range runner.Events() {
		out = append(out, ev.GetMessage())
	}
	return out
}

func randomToken(t *testing.T) string {
	t.Helper()
	buf := make([]byte, 6)
	if _, err := rand.Read(buf); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(buf)
}

// argvSampler reads every process's argv (/proc/*/cmdline) in a tight loop
// and records any that contains one of the needles. A hit counts when the
// process is attributable to this test: its environment names our
// stand-in root or carries our tag, or it can no longer be read (it exited
// between the two reads; counted, to be safe). Others are foreign
// processes on a shared machine and are only logged.
type argvSampler struct {
	root, tag string
	needles   []string
	watch     []string // argv substrings whose sighting proves coverage

	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	sweeps  int
	hits    []string
	foreign []string
	seen    map[string]bool
}

func startArgvSampler(root, tag string, needles, watch []string) *argvSampler {
	s := &argvSampler{
		root: root, tag: tag, needles: needles, watch: watch,
		stop: make(chan struct{}), done: make(chan struct{}), seen: map[string]bool{},
	}
	go s.loop()
	return s
}

func (s *argvSampler) loop() {
	defer close(s.done)
	self := strconv.Itoa(os.Getpid())
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		entries, err := os.ReadDir("/proc")
		if err != nil {
			continue
		}
		for _, entry := range entries {
			pid := entry.Name()
			if pid == self || pid[0] < '0' || pid[0] > '9' {
				continue
			}
			raw, err := os.ReadFile("/proc/" + pid + "/cmdline")
			if err != nil || len(raw) == 0 {
				continue
			}
			s.inspect(pid, strings.ReplaceAll(strings.TrimRight(string(raw), "\x00"), "\x00", " "))
		}
		s.mu.Lock()
		s.sweeps++
		s.mu.Unlock()
	}
}

func (s *argvSampler) inspect(pid, argv string) {
	var environ []byte
	var environErr error
	read := false
	ours := func() bool {
		if !read {
			environ, environErr = os.ReadFile("/proc/" + pid + "/environ")
			read = true
		}
		return environErr != nil ||
			bytes.Contains(environ, []byte(standinRootEnv+"="+s.root+"\x00")) ||
			(s.tag != "" && bytes.Contains(environ, []byte(s.tag)))
	}
	for _, w := range s.watch {
		if strings.Contains(argv, w) && ours() {
			s.mu.Lock()
			s.seen[w] = true
			s.mu.Unlock()
		}
	}
	for _, needle := range s.needles {
		if !strings.Contains(argv, needle) {
			continue
		}
		report := "pid " + pid + ": " + strings.ReplaceAll(argv, needle, "<"+maskedName(needle)+">")
		mine := ours()
		s.mu.Lock()
		if mine {
			s.hits = append(s.hits, report)
		} else {
			s.foreign = append(s.foreign, report)
		}
		s.mu.Unlock()
	}
}

func maskedName(needle string) string {
	if len(needle) <= 3 {
		return "secret"
	}
	return "secret " + needle[:3] + "…"
}

// Stop ends sampling and returns the hits, the number of sweeps and which
// watched strings were seen.
func (s *argvSampler) Stop() (hits, foreign []string, sweeps int, seen map[string]bool) {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits, s.foreign, s.sweeps, s.seen
}

// asStartError is errors.As for *harness.StartError.
func asStartError(err error, target **harness.StartError) bool {
	return errors.As(err, target)
}

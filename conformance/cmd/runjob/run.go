package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nomad-driver-container/conformance/harness"
	"github.com/nomad-driver-container/conformance/hclconfig"
	"github.com/nomad-driver-container/conformance/taskconfig"
)

// run loads the plugin as an agent would and runs the job's tasks, group
// by group, all tasks of a group at once. It reports whether a task failed.
func run(ctx context.Context, opts *options) (bool, error) {
	job, err := hclconfig.ParseJob(opts.jobPath)
	if err != nil {
		return false, err
	}
	agentCfg, err := loadAgentConfig(opts)
	if err != nil {
		return false, err
	}

	workDir, err := os.MkdirTemp("", "runjob-")
	if err != nil {
		return false, fmt.Errorf("create work dir: %w", err)
	}
	if opts.keep {
		fmt.Printf("==> alloc dirs kept under %s\n", workDir)
	} else {
		defer os.RemoveAll(workDir)
	}

	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	agent, driver, err := harness.StartAgent(startCtx, harness.AgentOptions{
		PluginBinary: opts.plugin,
		Config:       agentCfg,
		Env:          pluginEnv(opts),
		LogOutput:    pluginLog(workDir),
	})
	if err != nil {
		return false, err
	}
	defer driver.Shutdown()
	fmt.Printf("==> loaded driver %q version %s (API %s)\n",
		agent.Info.GetName(), agent.Info.GetPluginVersion(), agent.APIVersion)

	fp, err := driver.FirstFingerprint(startCtx)
	if err != nil {
		return false, err
	}
	fmt.Printf("==> fingerprint: %s %q\n", fp.GetHealth(), fp.GetHealthDescription())

	failed := false
	for _, group := range job.Groups {
		groupFailed, err := runGroup(ctx, opts, job, group, driver, workDir)
		if err != nil {
			return true, err
		}
		failed = failed || groupFailed
	}
	return failed, nil
}

func loadAgentConfig(opts *options) (*hclconfig.AgentConfig, error) {
	if opts.agent == "" {
		return nil, nil
	}
	return hclconfig.ParseAgentConfig(opts.agent)
}

// pluginEnv puts the chosen container CLI first on the plugin's PATH.
func pluginEnv(opts *options) []string {
	if opts.container == "" {
		return nil
	}
	return []string{"PATH=" + filepath.Dir(opts.container) + string(os.PathListSeparator) + os.Getenv("PATH")}
}

func pluginLog(workDir string) *os.File {
	f, err := os.Create(filepath.Join(workDir, "plugin.log"))
	if err != nil {
		return nil
	}
	return f
}

func runGroup(ctx context.Context, opts *options, job *hclconfig.Job, group *hclconfig.Group,
	driver *harness.Driver, workDir string) (bool, error) {
	alloc, err := harness.NewAlloc(job, group, taskconfig.LocalNode(), workDir)
	if err != nil {
		return false, err
	}
	fmt.Printf("==> allocation %s of %s.%s\n", alloc.ID, job.ID, group.Name)

	results := make([]taskResult, len(group.Tasks))
	var wg sync.WaitGroup
	for i, task := range group.Tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runTask(ctx, opts, alloc, task.Name, driver)
		}()
	}
	wg.Wait()

	failed := false
	for _, result := range results {
		printResult(result)
		failed = failed || !result.succeeded()
	}
	return failed, nil
}

func printResult(r taskResult) {
	fmt.Printf("\n==> task %q\n", r.name)
	for _, event := range r.events {
		fmt.Printf("    event %s: %s%s\n", event.GetTimestamp().AsTime().Format(time.RFC3339),
			event.GetMessage(), formatAnnotations(event.GetAnnotations()))
	}
	printStream("stdout", r.stdout)
	printStream("stderr", r.stderr)
	if r.err != nil {
		fmt.Printf("    result: FAILED: %v\n", r.err)
		return
	}
	fmt.Printf("    result: %s\n", r.exit)
}

func printStream(name, text string) {
	fmt.Printf("--- %s ---\n", name)
	if text == "" {
		fmt.Println("(empty)")
		return
	}
	fmt.Print(text)
	if !strings.HasSuffix(text, "\n") {
		fmt.Println()
	}
}

func formatAnnotations(annotations map[string]string) string {
	if len(annotations) == 0 {
		return ""
	}
	parts := make([]string, 0, len(annotations))
	for key, value := range annotations {
		parts = append(parts, key+"="+value)
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

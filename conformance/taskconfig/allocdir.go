package taskconfig

import (
	"fmt"
	"os"
	"path/filepath"
)

// AllocDir is an allocation directory laid out as a Nomad client lays it
// out: a shared alloc/{logs,tmp,data} and one directory per task with
// local, secrets, tmp and private.
type AllocDir struct {
	Root string
}

// CreateAllocDir creates <parent>/<allocID> with the shared directories and
// a task directory for each named task.
func CreateAllocDir(parent, allocID string, taskNames []string) (*AllocDir, error) {
	dir := &AllocDir{Root: filepath.Join(parent, allocID)}

	if err := makeDir(dir.Root, 0o755); err != nil {
		return nil, err
	}
	if err := makeDir(dir.SharedDir(), 0o755); err != nil {
		return nil, err
	}
	for _, sub := range []string{"logs", "tmp", "data"} {
		if err := makeDir(filepath.Join(dir.SharedDir(), sub), 0o777); err != nil {
			return nil, err
		}
	}

	for _, task := range taskNames {
		if err := dir.createTaskDir(task); err != nil {
			return nil, err
		}
	}
	return dir, nil
}

func (d *AllocDir) createTaskDir(task string) error {
	modes := []struct {
		path string
		mode os.FileMode
	}{
		{d.TaskDir(task), 0o777},
		{d.TaskLocalDir(task), 0o777},
		{d.TaskSecretsDir(task), 0o777},
		{d.TaskPrivateDir(task), 0o777},
		{filepath.Join(d.TaskDir(task), "tmp"), 0o777 | os.ModeSticky},
	}
	for _, m := range modes {
		if err := makeDir(m.path, m.mode); err != nil {
			return err
		}
	}
	return nil
}

// SharedDir is <alloc_dir>/alloc, mounted at /alloc in the task.
func (d *AllocDir) SharedDir() string { return filepath.Join(d.Root, "alloc") }

// LogDir is <alloc_dir>/alloc/logs, home of the FIFOs and log files.
func (d *AllocDir) LogDir() string { return filepath.Join(d.SharedDir(), "logs") }

// TaskDir is <alloc_dir>/<task>.
func (d *AllocDir) TaskDir(task string) string { return filepath.Join(d.Root, task) }

// TaskLocalDir is <alloc_dir>/<task>/local, mounted at /local.
func (d *AllocDir) TaskLocalDir(task string) string {
	return filepath.Join(d.TaskDir(task), "local")
}

// TaskSecretsDir is <alloc_dir>/<task>/secrets, mounted at /secrets.
func (d *AllocDir) TaskSecretsDir(task string) string {
	return filepath.Join(d.TaskDir(task), "secrets")
}

// TaskPrivateDir is <alloc_dir>/<task>/private, never shown to the task.
func (d *AllocDir) TaskPrivateDir(task string) string {
	return filepath.Join(d.TaskDir(task), "private")
}

// FIFOPath is <alloc_dir>/alloc/logs/.<task>.<stream>.fifo.
func (d *AllocDir) FIFOPath(task, stream string) string {
	return filepath.Join(d.LogDir(), fmt.Sprintf(".%s.%s.fifo", task, stream))
}

// LogPath is <alloc_dir>/alloc/logs/<task>.<stream>.<index>.
func (d *AllocDir) LogPath(task, stream string, index int) string {
	return filepath.Join(d.LogDir(), fmt.Sprintf("%s.%s.%d", task, stream, index))
}

// makeDir creates path and sets its mode exactly, umask notwithstanding.
func makeDir(path string, mode os.FileMode) error {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	return nil
}

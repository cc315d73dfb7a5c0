// Package taskconfig builds the TaskConfig a Nomad client sends with
// StartTask: the allocation directory on disk, the task's runtime
// environment, its resources and ports, and the names and IDs of the job,
// group, task, namespace and node it belongs to.
package taskconfig

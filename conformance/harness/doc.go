// Package harness plays the Nomad client agent against a driver plugin:
// it loads the plugin as the agent does at start (fingerprint, config
// validation and long-lived launches), keeps the Fingerprint and TaskEvents
// streams open, and runs tasks through StartTask, WaitTask, StopTask,
// DestroyTask, RecoverTask, signals, exec and stats with the TaskConfig,
// alloc directory and log FIFOs a client would provide.
package harness

// Package scenarios holds the end-to-end conformance tests: each test loads
// the built plugin as a Nomad client would and drives it against the
// stand-in `container` CLI (or Apple's, on a Mac).
//
// Required environment:
//
//	NDC_PLUGIN_BIN     path of the built nomad-driver-container binary
//	NDC_CONTAINER_BIN  path of the `container` CLI the plugin should use
//
// Every test gets its own CONTAINER_STANDIN_ROOT in a temp dir, exported to
// the plugin's environment, so tests run in parallel.
package scenarios

// Package loader launches a driver plugin binary the way Nomad's plugin
// loader does: go-plugin with Nomad's handshake, gRPC only, and the "base"
// and "driver" plugins dispensed as clients of our generated services.
package loader

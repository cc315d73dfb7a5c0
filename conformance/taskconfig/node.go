package taskconfig

import (
	"os"
	"runtime"
)

// Node describes the client node the harness pretends to be.
type Node struct {
	ID         string
	Name       string
	Datacenter string
	Region     string
	// CoreMHz is the compute of one core; Cores how many there are.
	CoreMHz int
	Cores   int
	// HostIP is the address ports are allocated on.
	HostIP string
}

// LocalNode describes this machine with a made-up per-core speed, and
// loopback as its only address.
func LocalNode() Node {
	name, err := os.Hostname()
	if err != nil || name == "" {
		name = "conformance-node"
	}
	return Node{
		ID:         NewUUID(),
		Name:       name,
		Datacenter: "dc1",
		Region:     "global",
		CoreMHz:    2000,
		Cores:      runtime.NumCPU(),
		HostIP:     "127.0.0.1",
	}
}

// TotalMHz is the node's usable compute.
func (n Node) TotalMHz() int { return n.CoreMHz * n.Cores }

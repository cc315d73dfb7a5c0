package taskconfig

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/nomad-driver-container/conformance/hclconfig"
	pb "github.com/nomad-driver-container/conformance/proto/drivers"
)

// AllocatePorts assigns host ports to a group's `network { port ... }`
// blocks the way the scheduler does: a static port keeps its number, a
// dynamic one gets a free port on the node's address, and `to = -1` maps to
// the host port.
func AllocatePorts(ports []hclconfig.Port, node Node) ([]*pb.PortMapping, error) {
	out := make([]*pb.PortMapping, 0, len(ports))
	for _, port := range ports {
		value := port.Static
		if value == 0 {
			free, err := freePort(node.HostIP)
			if err != nil {
				return nil, fmt.Errorf("port %q: %w", port.Label, err)
			}
			value = free
		}
		to := port.To
		if to == -1 {
			to = value
		}
		out = append(out, &pb.PortMapping{
			Label:  port.Label,
			Value:  int32(value),
			To:     int32(to),
			HostIp: node.HostIP,
		})
	}
	return out, nil
}

func freePort(hostIP string) (int, error) {
	listener, err := net.Listen("tcp", net.JoinHostPort(hostIP, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %s: %w", hostIP, err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port, nil
}

// ReserveCores picks the first n cores of the node, as a scheduler with an
// idle node would.
func ReserveCores(n int, node Node) ([]int, error) {
	if n > node.Cores {
		return nil, fmt.Errorf("task asks for %d cores but the node has %d", n, node.Cores)
	}
	cores := make([]int, n)
	for i := range cores {
		cores[i] = i
	}
	return cores, nil
}

// BuildResources fills Resources as Nomad's client does: allocated CPU in
// MHz (the cores' bandwidth when cores are reserved), memory reservation and
// oversubscription limit, linux_resources on every OS, and the group ports.
func BuildResources(res hclconfig.Resources, cores []int, ports []*pb.PortMapping, node Node) *pb.Resources {
	cpuMHz := int64(res.CPU)
	if len(cores) > 0 {
		cpuMHz = int64(len(cores) * node.CoreMHz)
	}

	limitMB := max(res.MemoryMB, res.MemoryMaxMB)
	return &pb.Resources{
		AllocatedResources: &pb.AllocatedTaskResources{
			Cpu: &pb.AllocatedCpuResources{CpuShares: cpuMHz},
			Memory: &pb.AllocatedMemoryResources{
				MemoryMb:    int64(res.MemoryMB),
				MemoryMaxMb: int64(res.MemoryMaxMB),
			},
		},
		LinuxResources: &pb.LinuxResources{
			CpuShares:        cpuMHz,
			MemoryLimitBytes: int64(limitMB) * 1024 * 1024,
			CpusetCpus:       joinCores(cores),
			PercentTicks:     float64(cpuMHz) / float64(node.TotalMHz()),
		},
		Ports: ports,
	}
}

func joinCores(cores []int) string {
	parts := make([]string, len(cores))
	for i, core := range cores {
		parts[i] = strconv.Itoa(core)
	}
	return strings.Join(parts, ",")
}

package taskconfig

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// NewUUID returns a random UUID in the 8-4-4-4-12 form Nomad uses for
// allocation and node IDs.
func NewUUID() string {
	b := randomBytes(16)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// NewTaskID returns a task ID as Nomad forms it for each start attempt:
// "<alloc_id>/<task>/<8 random hex chars>". Note that it contains slashes.
func NewTaskID(allocID, taskName string) string {
	return fmt.Sprintf("%s/%s/%s", allocID, taskName, hex.EncodeToString(randomBytes(4)))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed, which the runtime treats as fatal: %v", err))
	}
	return b
}

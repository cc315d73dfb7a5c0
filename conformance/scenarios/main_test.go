package scenarios

import (
	"flag"
	"os"
	"testing"
)

// defaultParallel replaces go test's default of GOMAXPROCS parallel tests:
// the scenarios spend their time waiting on plugin and task processes, not
// on CPU, and each has its own stand-in state.
const defaultParallel = "8"

func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "test.parallel" {
			explicit = true
		}
	})
	if !explicit {
		_ = flag.Set("test.parallel", defaultParallel)
	}
	os.Exit(m.Run())
}

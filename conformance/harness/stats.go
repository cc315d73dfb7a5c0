package harness

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	driverpb "github.com/nomad-driver-container/conformance/proto/drivers"
)

// CollectStats opens TaskStats with the given collection interval, as the
// stats hook does, and returns the first n messages.
func (r *TaskRunner) CollectStats(
	ctx context.Context, interval time.Duration, n int,
) ([]*driverpb.TaskStatsResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	stream, err := r.Driver.Client().TaskStats(ctx, &driverpb.TaskStatsRequest{
		TaskId:             r.ID(),
		CollectionInterval: durationpb.New(interval),
	})
	if err != nil {
		return nil, fmt.Errorf("TaskStats: %w", err)
	}

	var out []*driverpb.TaskStatsResponse
	for len(out) < n {
		msg, err := stream.Recv()
		if err != nil {
			return out, fmt.Errorf("TaskStats after %d messages: %w", len(out), err)
		}
		out = append(out, msg)
	}
	return out, nil
}

package harness

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// feed collects the messages of one server stream as they arrive, so that
// tests can wait for a message matching a condition.
type feed[T any] struct {
	mu      sync.Mutex
	items   []T
	ended   error // why the stream ended; nil while it is open
	changed chan struct{}
}

func newFeed[T any]() *feed[T] {
	return &feed[T]{changed: make(chan struct{})}
}

func (f *feed[T]) add(item T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = append(f.items, item)
	f.notifyLocked()
}

func (f *feed[T]) end(err error) {
	if err == nil {
		err = io.EOF
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ended = err
	f.notifyLocked()
}

func (f *feed[T]) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Items returns a copy of everything received so far.
func (f *feed[T]) Items() []T {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]T(nil), f.items...)
}

// Ended returns why the stream ended, or nil while it is open.
func (f *feed[T]) Ended() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ended
}

// WaitFor returns the first item, from index `from` on, that matches, and
// its index. It fails when ctx ends or the stream ends without a match.
func (f *feed[T]) WaitFor(ctx context.Context, from int, match func(T) bool) (T, int, error) {
	for {
		f.mu.Lock()
		for i := from; i < len(f.items); i++ {
			if match(f.items[i]) {
				item := f.items[i]
				f.mu.Unlock()
				return item, i, nil
			}
		}
		from = max(from, len(f.items))
		ended, changed := f.ended, f.changed
		f.mu.Unlock()

		var zero T
		if ended != nil {
			return zero, -1, fmt.Errorf("stream ended before a matching message: %w", ended)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return zero, -1, fmt.Errorf("no matching message: %w", context.Cause(ctx))
		}
	}
}

// receiveInto copies a stream into a feed until it ends.
func receiveInto[T any](f *feed[T], recv func() (T, error)) {
	for {
		item, err := recv()
		if err != nil {
			f.end(err)
			return
		}
		f.add(item)
	}
}

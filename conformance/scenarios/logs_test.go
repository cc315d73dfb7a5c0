package scenarios

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// readLog returns a log file's content ("" if it does not exist yet).
func readLog(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(data)
}

// waitForLog polls a log file until match accepts its content. The poll is
// a wait, not an assertion: the caller asserts on what it returns.
func waitForLog(ctx context.Context, path string, what string, match func(string) bool) (string, error) {
	ticker := time.NewTicker(50 * time.Millisecond)
	defer ticker.Stop()
	for {
		content := readLog(path)
		if match(content) {
			return content, nil
		}
		select {
		case <-ticker.C:
		case <-ctx.Done():
			return content, fmt.Errorf("%s never showed %s: %w; content so far: %q",
				path, what, context.Cause(ctx), tail(content, 400))
		}
	}
}

func waitForLine(ctx context.Context, path, line string) error {
	_, err := waitForLog(ctx, path, fmt.Sprintf("the line %q", line), func(content string) bool {
		return hasLine(content, line)
	})
	return err
}

func hasLine(content, line string) bool {
	for _, l := range strings.Split(content, "\n") {
		if l == line {
			return true
		}
	}
	return false
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// checkSequence checks that content is exactly "<prefix> 0" … "<prefix> n"
// in order, each once, optionally followed by the lines in trailer; it
// returns n.
func checkSequence(content, prefix string, trailer ...string) (int, error) {
	lines := strings.Split(strings.TrimSuffix(content, "\n"), "\n")
	if content == "" {
		return -1, fmt.Errorf("no lines at all")
	}
	if len(lines) < len(trailer) {
		return -1, fmt.Errorf("%d lines, want at least the trailer %q", len(lines), trailer)
	}
	body := lines[:len(lines)-len(trailer)]
	for i, want := range trailer {
		if got := lines[len(body)+i]; got != want {
			return -1, fmt.Errorf("trailer line %d is %q, want %q", i, got, want)
		}
	}
	for i, line := range body {
		if want := fmt.Sprintf("%s %d", prefix, i); line != want {
			return -1, fmt.Errorf("line %d is %q, want %q (lines lost, repeated or reordered)", i, line, want)
		}
	}
	return len(body) - 1, nil
}

package scenarios

import "testing"

// The exact-log scenarios are only as good as checkSequence; these cases
// pin down that it fails on every kind of damage.
func TestCheckSequenceAcceptsOnlyAnUnbrokenRun(t *testing.T) {
	const trailer = "bye"
	cases := map[string]struct {
		content string
		last    int
		ok      bool
	}{
		"complete":            {"tick 0\ntick 1\ntick 2\nbye\n", 2, true},
		"lost line":           {"tick 0\ntick 2\nbye\n", -1, false},
		"repeated line":       {"tick 0\ntick 1\ntick 1\ntick 2\nbye\n", -1, false},
		"reordered":           {"tick 1\ntick 0\nbye\n", -1, false},
		"missing trailer":     {"tick 0\ntick 1\n", -1, false},
		"repeated trailer":    {"tick 0\nbye\nbye\n", -1, false},
		"torn line":           {"tick 0\ntic\nk 1\nbye\n", -1, false},
		"empty":               {"", -1, false},
		"trailer only":        {"bye\n", -1, true},
		"no trailing newline": {"tick 0\nbye", 0, true},
	}
	for name, c := range cases {
		last, err := checkSequence(c.content, "tick", trailer)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%t", name, err, c.ok)
		}
		if c.ok && last != c.last {
			t.Errorf("%s: last = %d, want %d", name, last, c.last)
		}
	}
}

package customers

import (
	"testing"
	"time"
)

// TestWithinSecond: a change's messages are ordered within its second by
// the clock's reading when they are recorded, and never before the
// changes that came earlier in that second, even when the second has
// passed by then.
func TestWithinSecond(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		t    time.Time
		want time.Time
	}{
		{"in the change's second", at.Add(998 * time.Millisecond), at.Add(998 * time.Millisecond)},
		{"at its start", at, at},
		{"the second has passed", at.Add(time.Second + time.Millisecond), at.Add(time.Second - time.Microsecond)},
		{"much later", at.Add(time.Minute + 5*time.Millisecond), at.Add(time.Second - time.Microsecond)},
		// PostgreSQL keeps microseconds and would round this one up into
		// the next second.
		{"the second's last nanosecond", at.Add(time.Second - time.Nanosecond), at.Add(time.Second - time.Microsecond)},
		{"a clock that went back", at.Add(-time.Second + 300*time.Millisecond), at.Add(300 * time.Millisecond)},
	} {
		got := withinSecond(at, c.t)
		if !got.Equal(c.want) {
			t.Errorf("%s: withinSecond(%v, %v) = %v, want %v", c.name, at, c.t, got, c.want)
		}
		if got.Truncate(time.Second) != at || got.Round(time.Microsecond) != got {
			t.Errorf("%s: %v is outside the change's second, or finer than PostgreSQL keeps", c.name, got)
		}
	}
	// Two changes of one second, the later recorded after the second
	// passed: the later stays after the earlier.
	first := withinSecond(at, at.Add(990*time.Millisecond))
	second := withinSecond(at, at.Add(1010*time.Millisecond))
	if !second.After(first) {
		t.Errorf("the later change (%v) is not after the earlier (%v)", second, first)
	}
}

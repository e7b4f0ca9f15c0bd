package testsync

import (
	"strings"
	"sync/atomic"
	"testing"
)

func TestRaceRunsEveryCallAndWaits(t *testing.T) {
	const n = 50
	var calls atomic.Int64
	seen := make([]bool, n)
	Race(n, func(i int) {
		calls.Add(1)
		seen[i] = true
	})
	if calls.Load() != n {
		t.Fatalf("%d calls, want %d", calls.Load(), n)
	}
	for i, ok := range seen {
		if !ok {
			t.Errorf("fn(%d) was not called before Race returned", i)
		}
	}
}

func TestBufferTakesConcurrentWrites(t *testing.T) {
	var b Buffer
	Race(20, func(int) { b.Write([]byte("line\n")) })
	if got := strings.Count(b.String(), "line\n"); got != 20 {
		t.Errorf("%d lines, want 20", got)
	}
}

// Package testsync has the two concurrency aids the test suites share: a
// race that releases goroutines together, and a buffer that concurrent
// writers (a server's log) may share. It is for tests only and uses the
// standard library alone.
package testsync

import (
	"bytes"
	"sync"
)

// Race calls fn(0) … fn(n-1) each in its own goroutine, released together
// so that their requests or transactions overlap as much as they can, and
// returns once all have returned. fn runs off the test goroutine: report
// with t.Error, and give every call its own slot to write its result to.
func Race(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

// Buffer is an io.Writer that concurrent goroutines may write to while a
// test reads what was written so far. Its zero value is ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

package webhooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/billing/customers-api/internal/apitest"
	"github.com/billing/customers-api/internal/customers"
	"github.com/billing/customers-api/internal/webhooks"
)

// What one active webhook costs, one operation at a time (no other load,
// so no queueing inflates it): a customer write (PUT of apitest's full
// customer, a new email each time) without and with a webhook, which
// differ by the event, the delivery and its queue row; and the worker's
// share per delivery (claim, attempt to a local receiver that answers
// 200, outcome), from a backlog of b.N deliveries. Besides the time, each
// reports the machine's busy CPU per operation (cpu-µs/op, from
// /proc/stat: PostgreSQL, this process and the receiver, which is what
// a saturated server pays), so run it on an otherwise idle machine.
//
//	go test ./internal/webhooks -run '^$' -bench WebhookCost -benchtime 2000x
func BenchmarkWebhookCost(b *testing.B) {
	for _, hooks := range []int{0, 1} {
		b.Run(fmt.Sprintf("write/webhooks=%d", hooks), func(b *testing.B) {
			_, _, put := benchEnv(b, hooks)
			b.ResetTimer()
			cpu := markCPU()
			for i := range b.N {
				put(i)
			}
			reportCPU(b, cpu)
		})
	}
	b.Run("deliver", func(b *testing.B) {
		e, received, put := benchEnv(b, 1)
		for i := range b.N {
			put(i)
		}
		b.ResetTimer()
		cpu := markCPU()
		stop := e.start(e.svc)
		for received.Load() < int64(b.N) {
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		reportCPU(b, cpu)
		stop()
	})
}

// benchEnv is an organization with one customer and hooks webhooks, the
// count of deliveries its receiver got, and a PUT of the customer's i-th
// version.
func benchEnv(b *testing.B, hooks int) (*env, *atomic.Int64, func(i int)) {
	e := newEnv(b)
	received := new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		received.Add(1)
	}))
	b.Cleanup(srv.Close)
	for range hooks {
		e.webhook(webhooks.Input{URL: str(srv.URL)})
	}
	raw, err := json.Marshal(apitest.FullCustomer())
	if err != nil {
		b.Fatal(err)
	}
	var in customers.Input
	if err := json.Unmarshal(raw, &in); err != nil {
		b.Fatal(err)
	}
	c := e.createCustomer("bench@example.com")
	ctx := context.Background()
	return e, received, func(i int) {
		in.PrimaryAddress.Emails[0].Value = fmt.Sprintf("bench-%d@example.com", i)
		if _, _, err := e.svc.Customers.Put(ctx, e.orgID, c.ID, in, customers.Precondition{}, customers.ViewOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// busyCPU is the machine's busy CPU time so far (user, nice, system, irq
// and softirq in /proc/stat), or 0 where there is no /proc/stat.
func busyCPU() time.Duration {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq ...
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} {
		if i < len(f) {
			n, _ := strconv.ParseInt(f[i], 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// processCPU is this process's CPU time so far (the service, its worker
// and the receiver).
func processCPU() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// cpuMark is where the CPU counters stood at the start of a measurement.
type cpuMark struct{ busy, self time.Duration }

func markCPU() cpuMark { return cpuMark{busyCPU(), processCPU()} }

// reportCPU reports the busy CPU since m per operation: the machine's
// (cpu-µs/op) and this process's share of it (go-µs/op).
func reportCPU(b *testing.B, m cpuMark) {
	if m.busy > 0 {
		b.ReportMetric(float64((busyCPU()-m.busy).Microseconds())/float64(b.N), "cpu-µs/op")
	}
	b.ReportMetric(float64((processCPU()-m.self).Microseconds())/float64(b.N), "go-µs/op")
}

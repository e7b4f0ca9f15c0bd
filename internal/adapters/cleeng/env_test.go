package cleeng_test

import (
	"os"
	"testing"

	"github.com/billing/customers-api/internal/adapters/adaptertest"
	"github.com/billing/customers-api/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// env is the shared harness (adaptertest), with this package's own
// calls as methods.
type env struct{ *adaptertest.Env }

type reply = adaptertest.Reply

func newEnv(t *testing.T) *env { return &env{adaptertest.New(t)} }

func fullCustomer() map[string]any { return adaptertest.FullCustomer() }

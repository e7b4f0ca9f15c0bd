package cleeng_test

import (
	"os"
	"testing"

	"github.com/billing/customers-api/internal/apitest"
	"github.com/billing/customers-api/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// env is the shared harness (apitest), with this package's own
// calls as methods.
type env struct{ *apitest.Env }

type reply = apitest.Reply

func newEnv(t *testing.T) *env { return &env{apitest.New(t)} }

func fullCustomer() map[string]any { return apitest.FullCustomer() }

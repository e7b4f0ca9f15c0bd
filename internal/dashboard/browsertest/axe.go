package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

// dir is this package's directory, which the axe-core lock file and the
// screenshots are found from.
func dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("browsertest: no caller information")
	}
	return filepath.Dir(file)
}

// AxeDir holds package.json and package-lock.json pinning axe-core.
func AxeDir() string { return filepath.Join(dir(), "..", "testdata", "axe") }

var axe struct {
	once sync.Once
	src  string
	err  error
}

// axeSource installs the pinned axe-core with npm ci when node_modules does
// not hold what the lock file names (npm's copy of the lock file there is
// compared, as test/e2e/js-sdk.sh does), and returns axe.min.js.
func axeSource() (string, error) {
	axe.once.Do(func() {
		d := AxeDir()
		lock, err := os.ReadFile(filepath.Join(d, "package-lock.json"))
		if err != nil {
			axe.err = err
			return
		}
		stamp := filepath.Join(d, "node_modules", ".package-lock.json.ci")
		if have, err := os.ReadFile(stamp); err != nil || !bytes.Equal(have, lock) {
			if _, err := exec.LookPath("npm"); err != nil {
				axe.err = fmt.Errorf("npm is needed to install axe-core (scripts/ensure-e2e-tools.sh installs node and npm): %w", err)
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
			cmd.Dir = d
			if out, err := cmd.CombinedOutput(); err != nil {
				axe.err = fmt.Errorf("npm ci in %s: %w\n%s", d, err, out)
				return
			}
			if err := os.WriteFile(stamp, lock, 0o644); err != nil {
				axe.err = err
				return
			}
		}
		src, err := os.ReadFile(filepath.Join(d, "node_modules", "axe-core", "axe.min.js"))
		axe.src, axe.err = string(src), err
	})
	return axe.src, axe.err
}

// AxeViolation is one rule axe-core found broken, with the elements that
// break it.
type AxeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  []any  `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

func (v AxeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s — %s", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n      %v %s\n        %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n        "))
	}
	return b.String()
}

// Axe runs axe-core with its default rules (WCAG 2.x A and AA and best
// practices) on the page as it is now and fails the test for a violation of impact serious
// or critical; where names the page in the message, which lists every
// violation found. It returns the violations.
func (p *Tab) Axe(where string) []AxeViolation {
	p.T.Helper()
	src, err := axeSource()
	if err != nil {
		p.T.Fatalf("axe-core: %v", err)
	}
	// The DevTools protocol evaluates outside the page's
	// Content-Security-Policy, so the page's own policy stays on.
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](src+"\n;void 0")); err != nil {
		p.Fatalf("inject axe-core into %s: %v", where, err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
		nodes: v.nodes.map(n => ({target: n.target, html: n.html, failureSummary: n.failureSummary}))})))`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.Fatalf("axe.run on %s: %v", where, err)
	}
	var vs []AxeViolation
	if err := json.Unmarshal(raw, &vs); err != nil {
		p.Fatalf("axe.run on %s: %v in %s", where, err, raw)
	}
	var all []string
	bad := 0
	for _, v := range vs {
		all = append(all, "  "+v.String())
		if v.Impact == "serious" || v.Impact == "critical" {
			bad++
		}
	}
	if bad > 0 {
		p.Fatalf("axe-core: %d serious or critical violation(s) on %s; every violation found:\n%s", bad, where, strings.Join(all, "\n"))
	}
	if len(all) > 0 {
		p.T.Logf("axe-core on %s: minor or moderate violations:\n%s", where, strings.Join(all, "\n"))
	}
	return vs
}

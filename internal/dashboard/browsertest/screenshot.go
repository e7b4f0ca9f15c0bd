package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"
)

// ScreenshotDir is where Screenshot writes: docs/dashboard/ of the
// repository, which the README shows.
func ScreenshotDir() string { return filepath.Join(dir(), "..", "..", "..", "docs", "dashboard") }

// Screenshot saves the whole page as docs/dashboard/<name>.png. Focus is
// taken off the page first, so that no blinking caret or focus ring makes
// two runs differ, and the elements matching the CSS selectors in hide
// (what differs between runs, such as a time measured) are made invisible,
// keeping their place; they are shown again after. A file that would not
// change is not rewritten.
func (p *Tab) Screenshot(name string, hide ...string) {
	p.T.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	sels, _ := json.Marshal(append([]string{}, hide...))
	err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur && document.activeElement.blur();
		for (const s of `+string(sels)+`) for (const e of document.querySelectorAll(s)) e.style.visibility = 'hidden';
		new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.Fatalf("screenshot %s: %v", name, err)
	}
	defer func() {
		_ = chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`for (const s of `+string(sels)+`) for (const e of document.querySelectorAll(s)) e.style.visibility = ''`))
	}()
	img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(ScreenshotDir(), name+".png")
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, img) {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.T.Fatal(err)
	}
	if err := os.WriteFile(path, img, 0o644); err != nil {
		p.T.Fatal(err)
	}
	p.T.Logf("wrote %s", path)
}

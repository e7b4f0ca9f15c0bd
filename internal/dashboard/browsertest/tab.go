package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// DefaultTimeout bounds each step of a Tab: a missing element fails in
// seconds, with what the page showed, instead of hanging the run.
const DefaultTimeout = 10 * time.Second

// Viewport is every tab's size: fixed, so that screenshots are the same on
// every run.
const (
	ViewportWidth  = 1280
	ViewportHeight = 800
)

// Tab is one browser tab of a test, pointed at a Server. Every method
// fails the test (with the page's URL, its visible text and its console)
// when its step does not happen within Timeout.
type Tab struct {
	T       testing.TB
	S       *Server
	Timeout time.Duration
	ctx     context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// Open opens a tab in this test binary's browser, with a fixed viewport,
// light colour scheme, reduced motion, en-US and UTC. It is closed when the
// test ends; by then, an uncaught exception or a Content-Security-Policy
// violation in it fails the test.
func Open(t testing.TB, s *Server) *Tab {
	t.Helper()
	b := running(t)
	ctx, cancel := chromedp.NewContext(b.ctx)
	p := &Tab{T: t, S: s, Timeout: DefaultTimeout, ctx: ctx}
	t.Cleanup(func() {
		p.checkConsole()
		cancel()
	})
	// The first Do opens the tab and binds it to the context it is given,
	// so it gets ctx itself (a timeout's context would close the tab when
	// cancelled); the timer only bounds the wait. The page's messages are
	// collected from then on.
	opened := make(chan error, 1)
	go func() { opened <- chromedp.Do(ctx) }()
	select {
	case err := <-opened:
		if err != nil {
			t.Fatalf("open a tab: %v", err)
		}
	case <-time.After(p.Timeout):
		t.Fatalf("open a tab: not done within %s", p.Timeout)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m)
			p.mu.Unlock()
		}
	}()
	p.do("set up the tab",
		chromedp.EmulateViewport(ViewportWidth, ViewportHeight),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{
				{Name: "prefers-color-scheme", Value: "light"},
				{Name: "prefers-reduced-motion", Value: "reduce"},
			}}); err != nil {
				return err
			}
			if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "UTC"}); err != nil {
				return err
			}
			_, err := chromedp.Call(ctx, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: "en_US"})
			return err
		}),
	)
	return p
}

// Viewport resizes the tab's viewport (the screenshots use the default,
// ViewportWidth × ViewportHeight).
func (p *Tab) Viewport(width, height int64) {
	p.T.Helper()
	p.do(fmt.Sprintf("resize to %d×%d", width, height), chromedp.EmulateViewport(width, height))
}

// ColorScheme makes the page see the system's colour scheme as scheme,
// "light" (the default) or "dark".
func (p *Tab) ColorScheme(scheme string) {
	p.T.Helper()
	p.do("emulate prefers-color-scheme: "+scheme, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{
			{Name: "prefers-color-scheme", Value: scheme},
			{Name: "prefers-reduced-motion", Value: "reduce"},
		}})
		return err
	}))
}

// checkConsole fails the test for an uncaught exception or a CSP violation
// the page reported.
func (p *Tab) checkConsole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.console {
		switch {
		case m.IsException():
			p.T.Errorf("uncaught exception in the page: %s (%s:%d)", m.Text, m.URL, m.Line+1)
		case strings.Contains(m.Text, "Content Security Policy"):
			p.T.Errorf("Content-Security-Policy violation: %s", m.Text)
		}
	}
}

// ForgetConsole drops the console messages so far, for a test that caused
// an exception or a violation on purpose.
func (p *Tab) ForgetConsole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.console = nil
}

// Console returns the page's console messages so far, one a line.
func (p *Tab) Console() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, m := range p.console {
		fmt.Fprintf(&b, "  [%s] %s", m.Type, m.Text)
		if m.URL != "" {
			fmt.Fprintf(&b, " (%s:%d)", m.URL, m.Line+1)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Fatalf fails the test with the message and what the page shows.
func (p *Tab) Fatalf(format string, args ...any) {
	p.T.Helper()
	p.T.Fatalf("%s\n%s", fmt.Sprintf(format, args...), p.state())
}

// state describes the page for a failure message: its URL, its visible
// text and its console.
func (p *Tab) state() string {
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	defer cancel()
	var b strings.Builder
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		fmt.Fprintf(&b, "page: %s\n", loc)
	}
	if text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); err == nil {
		if len(text) > 3000 {
			text = text[:3000] + " …"
		}
		fmt.Fprintf(&b, "page text:\n%s\n", indent(text))
	}
	if c := p.Console(); c != "" {
		fmt.Fprintf(&b, "console:\n%s", c)
	}
	return b.String()
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n  ")
}

// do runs actions within the tab's timeout, failing the test with what as
// the step's name.
func (p *Tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.T.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		err := chromedp.Do(ctx, actions...)
		if err == nil {
			return
		}
		if errors.Is(err, context.DeadlineExceeded) {
			p.Fatalf("%s: not done within %s", what, p.Timeout)
		}
		// The page rendered the element anew between the query and the
		// action (a filter row re-rendered when its operator changed: CI
		// of 2dbf6a1): the selector is queried again, as a person's next
		// keystroke would land on the new element.
		if attempt < 5 && staleNode(err) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		p.Fatalf("%s: %v", what, err)
	}
}

// staleNode reports whether err says that a node the action had found is
// gone from the document.
func staleNode(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Could not find node with given id") ||
		strings.Contains(msg, "No node with given id found") ||
		strings.Contains(msg, "Node is detached from document")
}

// Do runs chromedp actions within the tab's timeout; what names the step
// in a failure.
func (p *Tab) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.T.Helper()
	p.do(what, actions...)
}

// Eval evaluates a JavaScript expression in the page and decodes its
// value into T (a promise is awaited).
func Eval[T any](p *Tab, expr string) T {
	p.T.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// JS quotes s as a JavaScript string literal.
func JS(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Go navigates to path on the server (e.g. "/dashboard/") and waits for
// the page to load.
func (p *Tab) Go(path string) {
	p.T.Helper()
	p.do("navigate to "+path, chromedp.Navigate(p.S.URL+path))
}

// Reload reloads the page and waits for it to load.
func (p *Tab) Reload() {
	p.T.Helper()
	p.do("reload", chromedp.Reload())
}

// Back goes back in the tab's history, as the browser's back button does,
// whether the entry is another document or the same one (pushState).
func (p *Tab) Back() {
	p.T.Helper()
	p.do("go back", chromedp.Evaluate[chromedp.Void](`history.back()`))
}

// Location is the page's URL.
func (p *Tab) Location() *url.URL {
	p.T.Helper()
	u, err := url.Parse(Eval[string](p, `location.href`))
	if err != nil {
		p.Fatalf("location: %v", err)
	}
	return u
}

// WaitFor waits until the JavaScript expression is truthy; what says what
// is awaited. A navigation in between is waited out, not an error.
func (p *Tab) WaitFor(what, expr string) {
	p.T.Helper()
	deadline := time.Now().Add(p.Timeout)
	var last string
	for {
		ctx, cancel := context.WithTimeout(p.ctx, time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte]("(() => { try { return !!("+expr+"); } catch (e) { return 'error: ' + e; } })()"))
		cancel()
		if err == nil && string(v) == "true" {
			return
		}
		if err != nil {
			last = err.Error()
		} else {
			last = string(v)
		}
		if time.Now().After(deadline) {
			p.Fatalf("waiting %s for %s: still %s (%s)", p.Timeout, what, last, expr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Exists reports whether an element matches the CSS selector now.
func (p *Tab) Exists(sel string) bool {
	p.T.Helper()
	return Eval[bool](p, `document.querySelector(`+JS(sel)+`) !== null`)
}

// Visible is the JavaScript expression "an element matching sel is
// rendered and not hidden".
func Visible(sel string) string {
	return `(e => !!e && !e.closest('[hidden]') && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')(document.querySelector(` + JS(sel) + `))`
}

// WaitVisible waits until an element matching the CSS selector is shown.
func (p *Tab) WaitVisible(sel string) {
	p.T.Helper()
	p.WaitFor(sel+" to be visible", Visible(sel))
}

// WaitGone waits until no element matching the CSS selector is shown.
func (p *Tab) WaitGone(sel string) {
	p.T.Helper()
	p.WaitFor(sel+" to be hidden or gone", "!"+Visible(sel))
}

// IsVisible reports whether an element matching the CSS selector is shown
// now.
func (p *Tab) IsVisible(sel string) bool {
	p.T.Helper()
	return Eval[bool](p, Visible(sel))
}

// Text is the visible text of the first element matching the CSS
// selector, waiting for one to exist.
func (p *Tab) Text(sel string) string {
	p.T.Helper()
	p.WaitFor(sel+" to exist", `document.querySelector(`+JS(sel)+`) !== null`)
	return Eval[string](p, `(e => e.innerText || e.textContent || '')(document.querySelector(`+JS(sel)+`))`)
}

// Texts is the visible text of every element matching the CSS selector.
func (p *Tab) Texts(sel string) []string {
	p.T.Helper()
	return Eval[[]string](p, `[...document.querySelectorAll(`+JS(sel)+`)].map(e => (e.innerText || e.textContent || '').trim())`)
}

// WaitText waits until the first element matching the CSS selector shows
// text containing want.
func (p *Tab) WaitText(sel, want string) string {
	p.T.Helper()
	p.WaitFor(fmt.Sprintf("%s to show %q", sel, want),
		`(e => !!e && (e.innerText || e.textContent || '').includes(`+JS(want)+`))(document.querySelector(`+JS(sel)+`))`)
	return p.Text(sel)
}

// WaitAttr waits until the first element matching the CSS selector has
// attribute name equal to want.
func (p *Tab) WaitAttr(sel, name, want string) {
	p.T.Helper()
	p.WaitFor(fmt.Sprintf("%s[%s=%q]", sel, name, want),
		`(e => !!e && e.getAttribute(`+JS(name)+`) === `+JS(want)+`)(document.querySelector(`+JS(sel)+`))`)
}

// Value is the value of the form control matching the CSS selector.
func (p *Tab) Value(sel string) string {
	p.T.Helper()
	p.WaitFor(sel+" to exist", `document.querySelector(`+JS(sel)+`) !== null`)
	return Eval[string](p, `document.querySelector(`+JS(sel)+`).value`)
}

// Click clicks the element matching the CSS selector with the mouse, once
// it is visible.
func (p *Tab) Click(sel string) {
	p.T.Helper()
	p.WaitVisible(sel)
	p.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// ShiftClick clicks the element matching the CSS selector with shift held.
func (p *Tab) ShiftClick(sel string) {
	p.T.Helper()
	p.WaitVisible(sel)
	p.do("shift-click "+sel, chromedp.QueryAfter(chromedp.CSS(sel), func(ctx context.Context, t *chromedp.Target, nodes []*chromedp.Node) (chromedp.Void, error) {
		return chromedp.MouseClickNode(nodes[0], chromedp.ButtonModifiers(chromedp.ModifierShift))(ctx, t)
	}, chromedp.NodeVisible))
}

// Type focuses the input matching the CSS selector, empties it and types
// text key by key, as a person would (each key fires input events).
func (p *Tab) Type(sel, text string) {
	p.T.Helper()
	p.WaitVisible(sel)
	p.do("type into "+sel,
		chromedp.Focus(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](`(e => { e.select && e.select(); })(document.querySelector(`+JS(sel)+`))`),
		chromedp.SendKeys(chromedp.CSS(sel), "\b"), // deletes the selection, if any
	)
	if text != "" {
		p.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
	}
}

// Press types keys (e.g. "\r" for Enter, "\t" for Tab) into the element
// matching the CSS selector.
func (p *Tab) Press(sel, keys string) {
	p.T.Helper()
	p.do("press keys in "+sel, chromedp.SendKeys(chromedp.CSS(sel), keys))
}

// Keys types keys into whatever has the focus, as a keyboard does ("\t"
// moves the focus, "\r" is Enter).
func (p *Tab) Keys(keys string) {
	p.T.Helper()
	p.do(fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys))
}

// Focused describes the element that has the focus: its tag, data-testid,
// id and text.
func (p *Tab) Focused() string {
	p.T.Helper()
	return Eval[string](p, `(e => e ? [e.tagName.toLowerCase(), e.dataset.testid || '', e.id || '', (e.innerText || e.value || '').trim().slice(0, 40)].join(' ') : 'nothing')(document.activeElement)`)
}

// Select chooses the option with value in the select matching the CSS
// selector, firing input and change as a person's choice does.
func (p *Tab) Select(sel, value string) {
	p.T.Helper()
	p.WaitVisible(sel)
	p.WaitFor(fmt.Sprintf("%s to offer %q", sel, value),
		`[...document.querySelector(`+JS(sel)+`).options].some(o => o.value === `+JS(value)+`)`)
	p.do("select "+value+" in "+sel, chromedp.Evaluate[chromedp.Void](`(e => {
		e.focus();
		e.value = `+JS(value)+`;
		e.dispatchEvent(new Event('input', {bubbles: true}));
		e.dispatchEvent(new Event('change', {bubbles: true}));
	})(document.querySelector(`+JS(sel)+`))`))
}

// Storage returns the page's sessionStorage, localStorage and cookies.
func (p *Tab) Storage() (session, local map[string]string, cookies string) {
	p.T.Helper()
	var s struct {
		Session map[string]string `json:"session"`
		Local   map[string]string `json:"local"`
		Cookies string            `json:"cookies"`
	}
	raw := Eval[[]byte](p, `({session: Object.fromEntries(Object.entries(sessionStorage)),
		local: Object.fromEntries(Object.entries(localStorage)), cookies: document.cookie})`)
	if err := json.Unmarshal(raw, &s); err != nil {
		p.Fatalf("storage: %v in %s", err, raw)
	}
	return s.Session, s.Local, s.Cookies
}

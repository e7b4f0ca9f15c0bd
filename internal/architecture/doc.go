// Package architecture holds no code: its test checks that imports point the
// way STYLE.md draws them (httpapi → customers ← postgres, a standard-library
// pkg/filter and config, and a domain that knows no adapter).
package architecture

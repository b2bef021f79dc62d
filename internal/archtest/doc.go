// Package archtest holds the test that keeps gatehouse's package graph the shape
// docs/ARCHITECTURE.md describes. It has no code of its own.
package archtest

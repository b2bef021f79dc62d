package main

import "sync/atomic"

// late holds a dependency of the management plane that serve creates after it: the gateway,
// which some management operations call but which is built once the management server
// exists. get answers false until set is called.
type late[T any] struct {
	p atomic.Pointer[T]
}

// set makes v the dependency.
func (l *late[T]) set(v T) { l.p.Store(&v) }

// get returns the dependency, and false before set.
func (l *late[T]) get() (T, bool) {
	if p := l.p.Load(); p != nil {
		return *p, true
	}
	var zero T
	return zero, false
}

//go:build unix && !linux

package lambda

import "syscall"

// sysProcAttr puts a function process in its own process group, so that stopping it stops
// whatever it started.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// killGroup signals the process group led by pid.
func killGroup(pid int, sig syscall.Signal) { syscall.Kill(-pid, sig) }

//go:build unix && !linux

package lambda

import (
	"os"
	"syscall"
)

// sysProcAttr puts a function process in its own process group, so that stopping it stops
// whatever it started.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// killGroup signals the process group led by pid.
func killGroup(pid int, sig syscall.Signal) { syscall.Kill(-pid, sig) }

// pipeUnread is how many bytes wait unread in the pipe f; not known here.
func pipeUnread(*os.File) int { return 0 }

// maxMemoryMB is the peak resident memory of process pid in MB; not known here.
func maxMemoryMB(int) int { return 0 }

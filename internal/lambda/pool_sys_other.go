//go:build !unix

package lambda

import (
	"os"
	"syscall"
)

// sysProcAttr: no process groups here; only the process itself is stopped.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// killGroup kills the process pid (there is no graceful signal here).
func killGroup(pid int, _ syscall.Signal) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}

// pipeUnread is how many bytes wait unread in the pipe f; not known here.
func pipeUnread(*os.File) int { return 0 }

// maxMemoryMB is the peak resident memory of process pid in MB; not known here.
func maxMemoryMB(int) int { return 0 }

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

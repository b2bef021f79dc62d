package lambda

import "syscall"

// sysProcAttr puts a function process in its own process group, so that stopping it stops
// whatever it started, and has the kernel kill it if gatehouse dies without stopping it
// (Pdeathsig).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup signals the process group led by pid.
func killGroup(pid int, sig syscall.Signal) { syscall.Kill(-pid, sig) }

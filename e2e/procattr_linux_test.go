package e2e

import (
	"os/exec"
	"syscall"
)

// dieWithTests makes cmd's process get SIGKILL when the test binary dies, so that a run that
// times out (go test panics) leaves no gatehouse or moto running on its ports. (Linux sends
// it when the thread that started the process ends; Go's runtime keeps its threads.)
func dieWithTests(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

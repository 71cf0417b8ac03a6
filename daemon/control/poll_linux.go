package control

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// pollIn is POLLIN: data to read, or for a listener a connection to accept.
const pollIn = 0x1

// pollReadable waits up to timeout for fd to be readable, with ppoll(2),
// which needs no descriptor of its own (unlike epoll_create).
func pollReadable(fd int, timeout time.Duration) (bool, error) {
	pfd := struct {
		fd      int32
		events  int16
		revents int16
	}{fd: int32(fd), events: pollIn}
	ts := syscall.NsecToTimespec(timeout.Nanoseconds())
	n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	switch {
	case errno == syscall.EINTR:
		return false, nil
	case errno != 0:
		return false, os.NewSyscallError("ppoll", errno)
	}
	return n == 1 && pfd.revents&pollIn != 0, nil
}

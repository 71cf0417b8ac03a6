// Package testcred connects to Unix sockets as another user, for tests of
// SO_PEERCRED policies. It needs root (CAP_SETUID and CAP_SETGID).
package testcred

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
)

// DialUnixAs connects to the Unix socket at path with the effective uid,
// and the effective gid unless gid < 0, changed to the given ids. The
// connect runs on an OS thread whose ids alone are changed (SO_PEERCRED
// reports the connecting thread's); that thread is never unlocked, so it
// exits with its goroutine and nothing else ever runs with those ids.
func DialUnixAs(path string, uid, gid int) (net.Conn, error) {
	type dialed struct {
		c   net.Conn
		err error
	}
	done := make(chan dialed, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: see above
		if gid >= 0 {
			if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESGID, ^uintptr(0), uintptr(gid), ^uintptr(0)); e != 0 {
				done <- dialed{err: fmt.Errorf("change this thread's gid to %d: %w", gid, e)}
				return
			}
		}
		if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, ^uintptr(0), uintptr(uid), ^uintptr(0)); e != 0 {
			done <- dialed{err: fmt.Errorf("change this thread's uid to %d: %w", uid, e)}
			return
		}
		fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			done <- dialed{err: err}
			return
		}
		if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
			_ = syscall.Close(fd)
			done <- dialed{err: fmt.Errorf("connect to %s as uid %d: %w", path, uid, err)}
			return
		}
		f := os.NewFile(uintptr(fd), path)
		c, err := net.FileConn(f)
		_ = f.Close()
		done <- dialed{c, err}
	}()
	d := <-done
	return d.c, d.err
}

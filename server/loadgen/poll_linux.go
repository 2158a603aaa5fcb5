//go:build !wasm

package loadgen

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// poller reads the generator's sockets through epoll sets of its own, each
// itself polled by the Go runtime: a goroutine wakes when any of its
// sockets is readable and reads every one that is, so the members of a jam,
// whose frames arrive together, cost one wake instead of one each (a
// goroutine parked on every socket). The sockets leave the runtime's own
// poller (see add).
type poller struct {
	sets  []*os.File // epoll sets, each a file the runtime polls
	epfds []int      // their descriptors (File.Fd would make them blocking)
	wake  [2]int     // a pipe in every set: closing it ends the loops
	wg    sync.WaitGroup

	mu    sync.Mutex
	conns map[int32]*wsConn // by file descriptor
	next  int
}

// newPoller starts the poller's goroutines, one for each of the runtime's
// threads.
func newPoller() (*poller, error) {
	p := &poller{conns: make(map[int32]*wsConn)}
	if err := syscall.Pipe2(p.wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		return nil, fmt.Errorf("poller: %w", err)
	}
	for range runtime.GOMAXPROCS(0) {
		fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("poller: %w", err)
		}
		// Non-blocking, the set is polled by the runtime like a socket.
		syscall.SetNonblock(fd, true)
		set := os.NewFile(uintptr(fd), "epoll")
		if err := syscall.EpollCtl(fd, syscall.EPOLL_CTL_ADD, p.wake[0], &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p.wake[0])}); err != nil {
			set.Close()
			p.close()
			return nil, fmt.Errorf("poller: %w", err)
		}
		p.sets, p.epfds = append(p.sets, set), append(p.epfds, fd)
		p.wg.Add(1)
		go p.loop(set)
	}
	return p, nil
}

// close closes the sockets still open and stops the loops.
func (p *poller) close() {
	p.mu.Lock()
	open := make([]*wsConn, 0, len(p.conns))
	for _, c := range p.conns {
		open = append(open, c)
	}
	p.mu.Unlock()
	for _, c := range open {
		c.CloseNow()
	}
	syscall.Close(p.wake[1]) // the read end turns readable in every set
	p.wg.Wait()
	for _, set := range p.sets {
		set.Close()
	}
	syscall.Close(p.wake[0])
}

// loop reads the sockets of set as they turn readable: it takes every
// ready one from the set without waiting, until none is, and then waits
// for the set to be readable (the runtime's poller wakes it).
func (p *poller) loop(set *os.File) {
	defer p.wg.Done()
	raw, err := set.SyscallConn()
	if err != nil {
		return
	}
	events := make([]syscall.EpollEvent, 128)
	buf := make([]byte, 64<<10)
	for {
		var n int
		var werr error
		err := raw.Read(func(fd uintptr) bool {
			n, werr = syscall.EpollWait(int(fd), events, 0)
			if errors.Is(werr, syscall.EINTR) {
				n, werr = 0, nil
			}
			return n > 0 || werr != nil
		})
		if err != nil || werr != nil {
			return
		}
		for _, ev := range events[:n] {
			if int(ev.Fd) == p.wake[0] {
				return
			}
			p.mu.Lock()
			c := p.conns[ev.Fd]
			p.mu.Unlock()
			if c != nil {
				c.readable(buf)
			}
		}
	}
}

// add takes nc over for c: its descriptor, duplicated, leaves the Go
// runtime's poller (nc is closed) for one of this poller's epoll sets.
// rest is what arrived with the handshake, handled first.
func (p *poller) add(c *wsConn, nc net.Conn, rest []byte) error {
	defer nc.Close()
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return errors.New("poller: not a socket")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	fd := -1
	if cerr := raw.Control(func(s uintptr) { fd, err = syscall.Dup(int(s)) }); cerr != nil {
		return cerr
	}
	if err != nil {
		return fmt.Errorf("poller: %w", err)
	}
	syscall.CloseOnExec(fd)
	// The duplicate shares the socket's non-blocking mode.
	s := &fdSock{p: p, fd: fd}
	c.sock = s
	if !c.start(rest) {
		return nil // onEnd has it: the socket is not added
	}
	p.mu.Lock()
	s.epfd = p.epfds[p.next%len(p.epfds)]
	p.next++
	p.conns[int32(fd)] = c
	p.mu.Unlock()
	if err := syscall.EpollCtl(s.epfd, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fd)}); err != nil {
		c.CloseNow()
		return fmt.Errorf("poller: %w", err)
	}
	return nil
}

// fdSock is a socket's descriptor in one of the poller's epoll sets.
type fdSock struct {
	p    *poller
	epfd int
	fd   int

	mu     sync.RWMutex // writes hold it shared, close alone
	closed bool
}

func (s *fdSock) read(b []byte) (int, bool, error) {
	n, err := syscall.Read(s.fd, b)
	switch {
	case err == nil:
		return n, true, nil
	case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EINTR):
		return 0, false, nil
	}
	return 0, false, fmt.Errorf("read: %w", err)
}

// write writes b, waiting a millisecond at a time while the socket's
// buffer is full: rare for the generator's few small frames.
func (s *fdSock) write(b []byte, deadline time.Time) error {
	for len(b) > 0 {
		s.mu.RLock()
		if s.closed {
			s.mu.RUnlock()
			return net.ErrClosed
		}
		n, err := syscall.Write(s.fd, b)
		s.mu.RUnlock()
		if n > 0 {
			b = b[n:]
		}
		switch {
		case err == nil, errors.Is(err, syscall.EINTR):
		case errors.Is(err, syscall.EAGAIN):
			if !deadline.IsZero() && time.Now().After(deadline) {
				return fmt.Errorf("write: %w", os.ErrDeadlineExceeded)
			}
			time.Sleep(time.Millisecond)
		default:
			return fmt.Errorf("write: %w", err)
		}
	}
	return nil
}

func (s *fdSock) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.p.mu.Lock()
	delete(s.p.conns, int32(s.fd))
	s.p.mu.Unlock()
	syscall.EpollCtl(s.epfd, syscall.EPOLL_CTL_DEL, s.fd, nil)
	syscall.Close(s.fd)
}

package guestmem

import (
	"fmt"
	"math"

	"golang.org/x/sys/unix"
)

// fileInfo is what mmap needs to know of a guest file descriptor.
type fileInfo struct {
	stat     unix.Stat_t
	accMode  int  // O_RDONLY, O_WRONLY or O_RDWR
	noexec   bool // the file system is mounted noexec
	path     string
	readable bool
	writable bool
}

// inspectFD reads what Linux's mmap checks need from a host descriptor. It
// returns EBADF for a descriptor that is not open.
func inspectFD(fd int) (fileInfo, unix.Errno) {
	var fi fileInfo
	if fd < 0 {
		return fi, unix.EBADF
	}
	if err := unix.Fstat(fd, &fi.stat); err != nil {
		return fi, err.(unix.Errno)
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return fi, err.(unix.Errno)
	}
	if fl&unix.O_PATH != 0 {
		return fi, unix.EBADF
	}
	fi.accMode = fl & unix.O_ACCMODE
	fi.readable = fi.accMode == unix.O_RDONLY || fi.accMode == unix.O_RDWR
	fi.writable = fi.accMode == unix.O_WRONLY || fi.accMode == unix.O_RDWR
	var st unix.Statfs_t
	if unix.Fstatfs(fd, &st) == nil {
		fi.noexec = st.Flags&unix.ST_NOEXEC != 0
	}
	switch fi.stat.Mode & unix.S_IFMT {
	case unix.S_IFIFO, unix.S_IFSOCK, 0:
		// Pipes, sockets and anonymous inodes live on internal file
		// systems Linux marks noexec.
		fi.noexec = true
	}
	if p, err := readlinkFD(fd); err == nil {
		fi.path = p
	}
	return fi, 0
}

func readlinkFD(fd int) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd), buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// isDevZero reports whether the file is /dev/zero, whose mappings Linux
// makes anonymous (private) or shared anonymous (shared).
func (fi *fileInfo) isDevZero() bool {
	return fi.stat.Mode&unix.S_IFMT == unix.S_IFCHR && unix.Major(fi.stat.Rdev) == 1 && unix.Minor(fi.stat.Rdev) == 5
}

// maxFileSize is the largest mappable end offset of a file of this mode
// (Linux's file_mmap_size_max): regular files, block devices and sockets
// are limited to MAX_LFS_FILESIZE, everything else to the largest unsigned
// long (gemu maps no device with unsigned offsets).
func maxFileSize(mode uint32) uint64 {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFBLK, unix.S_IFSOCK:
		return math.MaxInt64
	}
	return math.MaxUint64
}

// fileBackingLocked returns the shared backing for the file open at fd,
// taking a reference. The Space keeps its own duplicate of the descriptor.
// Preconditions: s.mu is held for writing.
func (s *Space) fileBackingLocked(fd int, fi *fileInfo) (*backing, error) {
	key := fileKey{dev: fi.stat.Dev, ino: fi.stat.Ino, writable: fi.writable}
	if b, ok := s.files[key]; ok {
		b.refs++
		return b, nil
	}
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("guestmem: duplicating fd %d: %w", fd, err)
	}
	b := &backing{
		devZero:  fi.isDevZero(),
		fd:       dup,
		dev:      fi.stat.Dev,
		ino:      fi.stat.Ino,
		path:     fi.path,
		writable: fi.writable,
		refs:     1,
		key:      key,
	}
	s.files[key] = b
	return b, nil
}

// anonSharedBacking creates the memory file behind a shared anonymous
// mapping of size bytes. Each mapping gets its own file, so growing it by
// mremap past its size gives SIGBUS as Linux does (the shmem object keeps
// its size).
func (s *Space) anonSharedBacking(size uint64) (*backing, unix.Errno) {
	fd, err := unix.MemfdCreate("gemu-shared-anon", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err.(unix.Errno)
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		unix.Close(fd)
		return nil, err.(unix.Errno)
	}
	var st unix.Stat_t
	unix.Fstat(fd, &st)
	return &backing{
		fd:         fd,
		dev:        1, // Linux shows shared anonymous memory as device 00:01.
		ino:        st.Ino,
		path:       "/dev/zero (deleted)",
		anonShared: true,
		writable:   true,
		refs:       1,
	}, 0
}

// refBacking takes one more reference to b (nil is fine).
func refBacking(b *backing) {
	if b != nil {
		b.refs++
	}
}

// unrefBacking drops a reference to b, closing its descriptor with the last.
// Preconditions: s.mu is held for writing.
func (s *Space) unrefBacking(b *backing) {
	if b == nil {
		return
	}
	b.refs--
	if b.refs > 0 {
		return
	}
	if b.isShm {
		return
	}
	if !b.anonShared {
		delete(s.files, b.key)
	}
	unix.Close(b.fd)
}

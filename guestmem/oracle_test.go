package guestmem

// Host-kernel helpers for the Linux-differential tests (linux_diff_test.go)
// and the fuzz targets (fuzz_test.go): raw memory system calls at fixed host
// addresses, fault-tolerant access to host memory, parsers for
// /proc/self/maps, /proc/self/smaps and /proc/self/pagemap, the test files,
// and orcKernelTarget, an implementation of the Space API by the host kernel
// itself that the harness runs against the kernel to check its own model
// (TestLinuxDiffSelfCheck).

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// realPage is the host's page size, checked by the tests (they need 4 KiB).
const orcPage = 4096

// Raw host system calls. unix.Mmap and friends cannot take an address, and
// the oracle must name exact host addresses.

func orcMmap(addr uintptr, length uint64, prot, flags int, fd int, off uint64) (uintptr, unix.Errno) {
	r, _, e := unix.Syscall6(unix.SYS_MMAP, addr, uintptr(length), uintptr(prot), uintptr(flags), uintptr(fd), uintptr(off))
	if e != 0 {
		return 0, e
	}
	return r, 0
}

func orcMunmap(addr uintptr, length uint64) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_MUNMAP, addr, uintptr(length), 0)
	return e
}

func orcMprotect(addr uintptr, length uint64, prot int) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_MPROTECT, addr, uintptr(length), uintptr(prot))
	return e
}

func orcMremap(old uintptr, oldLen, newLen uint64, flags int, newAddr uintptr) (uintptr, unix.Errno) {
	r, _, e := unix.Syscall6(unix.SYS_MREMAP, old, uintptr(oldLen), uintptr(newLen), uintptr(flags), newAddr, 0)
	if e != 0 {
		return 0, e
	}
	return r, 0
}

func orcMsync(addr uintptr, length uint64, flags int) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_MSYNC, addr, uintptr(length), uintptr(flags))
	return e
}

func orcMadvise(addr uintptr, length uint64, advice int) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_MADVISE, addr, uintptr(length), uintptr(advice))
	return e
}

func orcMincore(addr uintptr, length uint64, vec []byte) unix.Errno {
	var p unsafe.Pointer
	if len(vec) > 0 {
		p = unsafe.Pointer(&vec[0])
	} else {
		var one [1]byte
		p = unsafe.Pointer(&one[0])
	}
	_, _, e := unix.Syscall(unix.SYS_MINCORE, addr, uintptr(length), uintptr(p))
	return e
}

func orcMlock(addr uintptr, length uint64, flags int) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_MLOCK2, addr, uintptr(length), uintptr(flags))
	return e
}

func orcMunlock(addr uintptr, length uint64) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_MUNLOCK, addr, uintptr(length), 0)
	return e
}

// orcBytes returns n bytes of host memory at a as a slice. (The double
// conversion keeps go vet's unsafeptr check quiet: a is a real host address
// that no Go object occupies.)
func orcBytes(a uintptr, n int) []byte {
	return unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&a))), n)
}

// orcCatchFault runs fn with runtime/debug.SetPanicOnFault and reports whether
// it faulted (SIGSEGV or SIGBUS on a host address). Any other panic goes on.
func orcCatchFault(fn func()) (faulted bool) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(interface{ Addr() uintptr }); ok {
				faulted = true
				return
			}
			panic(r)
		}
	}()
	fn()
	return false
}

// orcSink keeps probe loads from being optimised away (atomic: parallel
// subtests probe at once).
var orcSink atomic.Uint32

// orcProbe reports whether reading the byte at host address a faults.
func orcProbe(a uintptr) (faulted bool) {
	return orcCatchFault(func() { orcSink.Add(uint32(orcBytes(a, 1)[0])) })
}

// orcRead copies host memory at a into dst; false if it faulted. It goes a
// page at a time in address order, as the kernel's copies do, so that a
// fault leaves the pages after it untouched (copy may load a buffer's tail
// first, which would fault those pages in).
func orcRead(dst []byte, a uintptr) bool {
	return !orcCatchFault(func() {
		for off := 0; off < len(dst); {
			n := min(len(dst)-off, int(orcPage-(a+uintptr(off))%orcPage))
			copy(dst[off:off+n], orcBytes(a+uintptr(off), n))
			off += n
		}
	})
}

// orcWrite copies src to host memory at a, a page at a time in address
// order; false if it faulted (the pages before the fault are written, as
// with a real store sequence).
func orcWrite(a uintptr, src []byte) bool {
	return !orcCatchFault(func() {
		for off := 0; off < len(src); {
			n := min(len(src)-off, int(orcPage-(a+uintptr(off))%orcPage))
			copy(orcBytes(a+uintptr(off), n), src[off:off+n])
			off += n
		}
	})
}

// kFlags are the VmFlags of /proc/self/smaps that Mapping reports.
type kFlags uint8

const (
	kfLocked     kFlags = 1 << iota // "lo"
	kfGrowsDown                     // "gd"
	kfDontFork                      // "dc"
	kfWipeOnFork                    // "wf"
	kfDontDump                      // "dd"
)

var kFlagNames = map[string]kFlags{"lo": kfLocked, "gd": kfGrowsDown, "dc": kfDontFork, "wf": kfWipeOnFork, "dd": kfDontDump}

func (f kFlags) String() string {
	var s []string
	for _, n := range []string{"lo", "gd", "dc", "wf", "dd"} {
		if f&kFlagNames[n] != 0 {
			s = append(s, n)
		}
	}
	return "[" + strings.Join(s, " ") + "]"
}

// orcVMA is one line of the host's /proc/self/maps (and, when smaps was read,
// the VmFlags Mapping reports).
type orcVMA struct {
	start, end uintptr
	perms      string // "rwxp" form
	off        uint64
	dev        uint64 // as in stat's st_dev
	inode      uint64
	path       string
	flags      kFlags
	hasFlags   bool
}

// queryIn lists the host mappings overlapping [lo, hi) with the
// PROCMAP_QUERY ioctl (Linux 6.11+), much cheaper than reading the whole
// maps text; ok is false where the kernel lacks it.
func (p *orcProc) queryIn(lo, hi uintptr) ([]orcVMA, bool) {
	var out []orcVMA
	name := make([]byte, 4096)
	for a := lo; a < hi; {
		q := procmapQuery{
			size: uint64(unsafe.Sizeof(procmapQuery{})), queryFlags: procmapQueryCoveringNext, queryAddr: uint64(a),
			vmaNameSize: uint32(len(name)), vmaNameAddr: uint64(uintptr(unsafe.Pointer(&name[0]))),
		}
		_, _, e := unix.Syscall(unix.SYS_IOCTL, p.maps.Fd(), procmapQueryIoctl, uintptr(unsafe.Pointer(&q)))
		if e == unix.ENOENT {
			break
		}
		if e != 0 {
			return nil, false
		}
		if uintptr(q.vmaStart) >= hi {
			break
		}
		v := orcVMA{start: uintptr(q.vmaStart), end: uintptr(q.vmaEnd), perms: q.perms(), off: q.vmaOffset,
			dev: unix.Mkdev(q.devMajor, q.devMinor), inode: q.inode}
		if q.vmaNameSize > 0 {
			v.path = string(name[:q.vmaNameSize-1])
		}
		out = append(out, v)
		a = uintptr(q.vmaEnd)
	}
	return out, true
}

// orcProc holds the open /proc files the harness reads after every
// operation, and a buffer for them.
type orcProc struct {
	// noQuery is set once PROCMAP_QUERY has failed.
	noQuery              bool
	maps, smaps, pagemap *os.File
	buf                  []byte
}

func orcOpenProc() (*orcProc, error) {
	p := &orcProc{buf: make([]byte, 1<<16)}
	var err error
	if p.maps, err = os.Open("/proc/self/maps"); err != nil {
		return nil, err
	}
	if p.smaps, err = os.Open("/proc/self/smaps"); err != nil {
		return nil, err
	}
	if p.pagemap, err = os.Open("/proc/self/pagemap"); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *orcProc) Close() {
	p.maps.Close()
	p.smaps.Close()
	p.pagemap.Close()
}

func (p *orcProc) readAll(f *os.File) ([]byte, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	n := 0
	for {
		if n == len(p.buf) {
			p.buf = append(p.buf, make([]byte, len(p.buf))...)
		}
		m, err := f.Read(p.buf[n:])
		n += m
		if err == io.EOF || (err == nil && m == 0) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return p.buf[:n], nil
}

// parseMapsLine parses "start-end perms offset dev inode path".
func orcParseMapsLine(line string) (orcVMA, bool) {
	var v orcVMA
	f := strings.Fields(line)
	if len(f) < 5 {
		return v, false
	}
	se := strings.SplitN(f[0], "-", 2)
	if len(se) != 2 {
		return v, false
	}
	s, err1 := strconv.ParseUint(se[0], 16, 64)
	e, err2 := strconv.ParseUint(se[1], 16, 64)
	off, err3 := strconv.ParseUint(f[2], 16, 64)
	ino, err4 := strconv.ParseUint(f[4], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return v, false
	}
	v.start, v.end, v.perms, v.off, v.inode = uintptr(s), uintptr(e), f[1], off, ino
	if maj, min, ok := strings.Cut(f[3], ":"); ok {
		a, err1 := strconv.ParseUint(maj, 16, 32)
		b, err2 := strconv.ParseUint(min, 16, 32)
		if err1 != nil || err2 != nil {
			return v, false
		}
		v.dev = unix.Mkdev(uint32(a), uint32(b))
	}
	if len(f) > 5 {
		// The path is the rest of the line after the fifth (inode) field.
		rest := line
		for range 5 {
			rest = strings.TrimLeft(rest, " ")
			rest = rest[strings.IndexByte(rest, ' '):]
		}
		v.path = strings.TrimSpace(rest)
	}
	return v, true
}

// vmasIn returns the host VMAs that intersect [lo, hi), clipped to it,
// from /proc/self/maps, or also with VmFlags from /proc/self/smaps.
func (p *orcProc) vmasIn(lo, hi uintptr, withFlags bool) ([]orcVMA, error) {
	if !withFlags && !p.noQuery {
		if out, ok := p.queryIn(lo, hi); ok {
			return out, nil
		}
		p.noQuery = true
	}
	f := p.maps
	if withFlags {
		f = p.smaps
	}
	data, err := p.readAll(f)
	if err != nil {
		return nil, err
	}
	var out []orcVMA
	cur := -1
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		if len(line) == 0 {
			continue
		}
		// smaps field lines start with a capitalised key; maps-format lines
		// start with a hex digit.
		c := line[0]
		if withFlags && c >= 'A' && c <= 'Z' {
			if cur >= 0 && bytes.HasPrefix(line, []byte("VmFlags:")) {
				for _, fl := range strings.Fields(string(line[len("VmFlags:"):])) {
					out[cur].flags |= kFlagNames[fl]
				}
				out[cur].hasFlags = true
			}
			continue
		}
		cur = -1
		// Cheap pre-filter before parsing: compare the start address.
		dash := bytes.IndexByte(line, '-')
		if dash < 0 {
			continue
		}
		end := bytes.IndexByte(line[dash:], ' ')
		if end < 0 {
			continue
		}
		s, err1 := strconv.ParseUint(string(line[:dash]), 16, 64)
		e, err2 := strconv.ParseUint(string(line[dash+1:dash+end]), 16, 64)
		if err1 != nil || err2 != nil || uintptr(e) <= lo || uintptr(s) >= hi {
			continue
		}
		v, ok := orcParseMapsLine(string(line))
		if !ok {
			return nil, fmt.Errorf("bad maps line %q", line)
		}
		out = append(out, v)
		cur = len(out) - 1
	}
	return out, nil
}

// orcMapped reports whether host address h lies in one of vs.
func orcMapped(vs []orcVMA, h uintptr) bool {
	for _, v := range vs {
		if h >= v.start && h < v.end {
			return true
		}
	}
	return false
}

// orcFree reports whether no VMA of vs intersects [h, h+n).
func orcFree(vs []orcVMA, h uintptr, n uint64) bool {
	for _, v := range vs {
		if v.start < h+uintptr(n) && h < v.end {
			return false
		}
	}
	return true
}

// present reports, for n host pages from a, whether each is present in
// memory (or swapped), from /proc/self/pagemap.
func (p *orcProc) present(a uintptr, n int, out []bool) error {
	buf := make([]byte, 8*n)
	if _, err := p.pagemap.ReadAt(buf, int64(a/orcPage)*8); err != nil {
		return err
	}
	for i := range n {
		e := uint64(0)
		for j := 7; j >= 0; j-- {
			e = e<<8 | uint64(buf[8*i+j])
		}
		out[i] = e&(3<<62) != 0
	}
	return nil
}

// Slots of the file-descriptor table each side of a differential run has.
// Operations name a slot; each side passes its own descriptor.
const (
	orcFdFile0RW = iota
	orcFdFile0RO
	orcFdFile0WO
	orcFdFile0Append
	orcFdFile1RW
	orcFdFile1RO
	orcFdPipe
	orcFdDir
	orcFdDevZero
	orcFdBadNeg
	orcFdBadHigh
	orcNumFds
)

var orcFdNames = [orcNumFds]string{"file0:rw", "file0:ro", "file0:wo", "file0:rw|append", "file1:rw", "file1:ro", "pipe", "dir", "/dev/zero", "-1", "bad(1<<20)"}

// Backing identities (pageDesc.obj) of the test files and /dev/zero.
const (
	orcObjNone = iota
	orcObjFile0
	orcObjFile1
	orcObjDevZero
	orcObjFirstShm // shared anonymous objects are numbered from here, per side
)

// orcFileID identifies a file: device and inode numbers.
type orcFileID struct{ dev, ino uint64 }

// orcFiles is one side's test files and descriptor table. The two sides of a
// differential run each have their own copies of the same files with the same
// contents, so that writes through shared mappings on each side land in that
// side's files and the two stay comparable.
type orcFiles struct {
	dir     string
	paths   [2]string
	content [2][]byte
	fds     [orcNumFds]int
	objOf   map[orcFileID]int // → orcObjFile0, orcObjFile1, orcObjDevZero
	pipeW   int
}

// orcNewFiles creates files in dir with the given sizes and contents from
// seed (the same seed gives the same contents).
func orcNewFiles(dir string, sizes [2]int, seed uint64) (*orcFiles, error) {
	fs := &orcFiles{dir: dir, objOf: map[orcFileID]int{}}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for i := range 2 {
		fs.paths[i] = filepath.Join(dir, fmt.Sprintf("file%d", i))
		c := make([]byte, sizes[i])
		for j := range c {
			c[j] = byte(rng.Uint32())
		}
		fs.content[i] = c
	}
	if err := fs.reset(); err != nil {
		return nil, err
	}
	open := func(path string, mode int) int {
		fd, e := unix.Open(path, mode|unix.O_CLOEXEC, 0)
		if e != nil {
			return -1
		}
		return fd
	}
	fs.fds[orcFdFile0RW] = open(fs.paths[0], unix.O_RDWR)
	fs.fds[orcFdFile0RO] = open(fs.paths[0], unix.O_RDONLY)
	fs.fds[orcFdFile0WO] = open(fs.paths[0], unix.O_WRONLY)
	fs.fds[orcFdFile0Append] = open(fs.paths[0], unix.O_RDWR|unix.O_APPEND)
	fs.fds[orcFdFile1RW] = open(fs.paths[1], unix.O_RDWR)
	fs.fds[orcFdFile1RO] = open(fs.paths[1], unix.O_RDONLY)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, err
	}
	fs.fds[orcFdPipe], fs.pipeW = p[0], p[1]
	fs.fds[orcFdDir] = open(dir, unix.O_RDONLY|unix.O_DIRECTORY)
	fs.fds[orcFdDevZero] = open("/dev/zero", unix.O_RDWR)
	fs.fds[orcFdBadNeg] = -1
	fs.fds[orcFdBadHigh] = 1 << 20
	for i, fd := range fs.fds[:orcFdBadNeg] {
		if fd < 0 {
			fs.Close()
			return nil, fmt.Errorf("open %s failed", orcFdNames[i])
		}
	}
	for slot, obj := range map[int]int{orcFdFile0RW: orcObjFile0, orcFdFile1RW: orcObjFile1, orcFdDevZero: orcObjDevZero} {
		var st unix.Stat_t
		if err := unix.Fstat(fs.fds[slot], &st); err != nil {
			return nil, err
		}
		fs.objOf[orcFileID{st.Dev, st.Ino}] = obj
	}
	return fs, nil
}

// reset rewrites both files with their original contents (shared mappings
// and MADV_REMOVE change them during an episode).
func (fs *orcFiles) reset() error {
	for i := range 2 {
		if err := os.WriteFile(fs.paths[i], fs.content[i], 0o600); err != nil {
			return err
		}
	}
	return nil
}

func (fs *orcFiles) Close() {
	for _, fd := range fs.fds[:orcFdBadNeg] {
		if fd > 0 {
			unix.Close(fd)
		}
	}
	if fs.pipeW > 0 {
		unix.Close(fs.pipeW)
	}
}

// orcSameFiles compares the current contents of a's and b's files.
func orcSameFiles(a, b *orcFiles) error {
	for i := range 2 {
		x, err := os.ReadFile(a.paths[i])
		if err != nil {
			return err
		}
		y, err := os.ReadFile(b.paths[i])
		if err != nil {
			return err
		}
		if !bytes.Equal(x, y) {
			n := 0
			for n < len(x) && n < len(y) && x[n] == y[n] {
				n++
			}
			return fmt.Errorf("file%d differs: kernel side %d bytes, guestmem side %d bytes, first difference at offset %#x", i, len(x), len(y), n)
		}
	}
	return nil
}

// orcRegionFree reports an error unless no host mapping intersects [lo, hi).
func orcRegionFree(p *orcProc, lo, hi uintptr) error {
	v, err := p.vmasIn(lo, hi, false)
	if err != nil {
		return err
	}
	if len(v) > 0 {
		return fmt.Errorf("host range [%#x, %#x) is not free: %#x-%#x %s %s", lo, hi, v[0].start, v[0].end, v[0].perms, v[0].path)
	}
	return nil
}

// diffTarget is what the differential harness drives: the memory API of a
// Space. *Space implements it; so does kernelTarget.
type diffTarget interface {
	Mmap(addr Addr, length uint64, prot, flags int, fd int, offset int64) (Addr, unix.Errno)
	Munmap(addr Addr, length uint64) unix.Errno
	Mprotect(addr Addr, length uint64, prot int) unix.Errno
	Mremap(oldAddr Addr, oldLen, newLen uint64, flags int, newAddr Addr) (Addr, unix.Errno)
	Msync(addr Addr, length uint64, flags int) unix.Errno
	Madvise(addr Addr, length uint64, advice int) unix.Errno
	Mincore(addr Addr, length uint64, vec []byte) unix.Errno
	Mlock(addr Addr, length uint64, flags int) unix.Errno
	Munlock(addr Addr, length uint64) unix.Errno
	Mappings() []Mapping
	Translate(a Addr, n uint64) (uintptr, bool)
	CopyIn(dst []byte, a Addr) unix.Errno
	CopyOut(a Addr, src []byte) unix.Errno
	CheckInvariants() error
	WriteProcMaps(w io.Writer) error
	Close() error
}

var _ diffTarget = (*Space)(nil)

// orcKernelTarget implements diffTarget with the host kernel, for G == H only: guest
// address G0+off is host address base+off. It exists to test the harness:
// run against the kernel oracle it must never diverge, which checks the
// harness's translation, its placement model and its comparisons before
// guestmem exists. Address choice (non-fixed mmap, mremap moves) uses the
// same Linux placement model as the oracle, since the kernel would place
// outside the region (with no G < H kind: diffPlaceKind{}); everything else
// is the kernel's own answer.
type orcKernelTarget struct {
	base    uintptr // host address of guest g0
	g0      Addr
	size    uint64
	proc    *orcProc
	placer  *diffPlaceModel
	gdGuard bool // whether growsdown VMAs may exist (then smaps is read)
}

// host translates a guest address as the harness does: addresses near the
// region are relative to it, others (0, 2^63, ...) are absolute.
func (k *orcKernelTarget) host(a Addr) uintptr {
	if uint64(a)+(1<<29) >= uint64(k.g0) && uint64(a) < uint64(k.g0)+1<<37 {
		return k.base + uintptr(a) - uintptr(k.g0)
	}
	return uintptr(a)
}

func (k *orcKernelTarget) guest(h uintptr) Addr { return Addr(h-k.base) + k.g0 }

func (k *orcKernelTarget) vmas() []orcVMA {
	v, _ := k.proc.vmasIn(k.base, k.base+uintptr(k.size), k.gdGuard)
	return v
}

func (k *orcKernelTarget) Mmap(addr Addr, length uint64, prot, flags int, fd int, offset int64) (Addr, unix.Errno) {
	if flags&(MapFixed|MapFixedNoReplace) != 0 {
		r, e := orcMmap(k.host(addr), length, prot, flags, fd, uint64(offset))
		if e == 0 && flags&MapGrowsDown != 0 {
			k.gdGuard = true
		}
		return k.guest(r), e
	}
	rl := (length + orcPage - 1) &^ (orcPage - 1)
	if length == 0 || rl == 0 || rl > k.size {
		r, e := orcMmap(0, length, prot, flags, fd, uint64(offset))
		if e == 0 {
			orcMunmap(r, rl)
			return 0, unix.ENOMEM
		}
		return 0, e
	}
	a, ok := k.placer.place(k.vmas(), rl, addr&^(orcPage-1), diffPlaceKind{})
	if !ok {
		// No room in the region: the kernel's own checks on the other
		// arguments come first (the runner skips such calls when they
		// would succeed outside).
		r, e := orcMmap(0, length, prot, flags, fd, uint64(offset))
		if e == 0 {
			orcMunmap(r, rl)
			return 0, unix.ENOMEM
		}
		return 0, e
	}
	r, e := orcMmap(k.host(a), length, prot, flags|MapFixed, fd, uint64(offset))
	if e == 0 && flags&MapGrowsDown != 0 {
		k.gdGuard = true
	}
	return k.guest(r), e
}

func (k *orcKernelTarget) Munmap(addr Addr, length uint64) unix.Errno {
	return orcMunmap(k.host(addr), length)
}

func (k *orcKernelTarget) Mprotect(addr Addr, length uint64, prot int) unix.Errno {
	return orcMprotect(k.host(addr), length, prot)
}

func (k *orcKernelTarget) Mremap(oldAddr Addr, oldLen, newLen uint64, flags int, newAddr Addr) (Addr, unix.Errno) {
	if flags&MremapMayMove == 0 || flags&MremapFixed != 0 || flags&^(MremapMayMove|MremapDontUnmap) != 0 ||
		oldAddr%orcPage != 0 || (newLen+orcPage-1)&^(orcPage-1) == 0 ||
		(flags&MremapDontUnmap != 0 && (newAddr%orcPage != 0 || (oldLen+orcPage-1)&^(orcPage-1) != (newLen+orcPage-1)&^(orcPage-1))) {
		// (The kernel compares DONTUNMAP's lengths after rounding them.)
		r, e := orcMremap(k.host(oldAddr), oldLen, newLen, flags, k.host(newAddr))
		return k.guest(r), e
	}
	rl := (newLen + orcPage - 1) &^ (orcPage - 1)
	if flags&MremapDontUnmap != 0 {
		// As the oracle does: the kernel's own call, then a move to the
		// model's address.
		vs := k.vmas()
		h := uintptr(0)
		if newAddr != 0 {
			h = k.host(newAddr)
		}
		r, e := orcMremap(k.host(oldAddr), oldLen, newLen, flags, h)
		if e != 0 {
			return 0, e
		}
		a, ok := k.placer.place(vs, rl, newAddr, diffPlaceKind{})
		if !ok {
			orcMremap(r, rl, rl, MremapMayMove|MremapFixed, k.host(oldAddr))
			return 0, unix.ENOMEM
		}
		if want := k.host(a); r != want {
			if r < want+uintptr(rl) && want < r+uintptr(rl) {
				tmp := k.base + uintptr(k.size) + 1<<30
				orcMremap(r, rl, rl, MremapMayMove|MremapFixed, tmp)
				r = tmp
			}
			if _, e := orcMremap(r, rl, rl, MremapMayMove|MremapFixed, want); e != 0 {
				return 0, e
			}
		}
		return a, 0
	}
	if flags&MremapDontUnmap == 0 {
		r, e := orcMremap(k.host(oldAddr), oldLen, newLen, 0, 0)
		if e != unix.ENOMEM {
			return k.guest(r), e
		}
		newAddr = 0
	}
	if rl > k.size {
		return 0, unix.ENOMEM
	}
	a, ok := k.placer.place(k.vmas(), rl, newAddr, diffPlaceKind{})
	if !ok {
		return 0, unix.ENOMEM
	}
	r, e := orcMremap(k.host(oldAddr), oldLen, newLen, flags|MremapMayMove|MremapFixed, k.host(a))
	return k.guest(r), e
}

func (k *orcKernelTarget) Msync(addr Addr, length uint64, flags int) unix.Errno {
	return orcMsync(k.host(addr), length, flags)
}

func (k *orcKernelTarget) Madvise(addr Addr, length uint64, advice int) unix.Errno {
	return orcMadvise(k.host(addr), length, advice)
}

func (k *orcKernelTarget) Mincore(addr Addr, length uint64, vec []byte) unix.Errno {
	return orcMincore(k.host(addr), length, vec)
}

func (k *orcKernelTarget) Mlock(addr Addr, length uint64, flags int) unix.Errno {
	return orcMlock(k.host(addr), length, flags)
}

func (k *orcKernelTarget) Munlock(addr Addr, length uint64) unix.Errno {
	return orcMunlock(k.host(addr), length)
}

func (k *orcKernelTarget) Mappings() []Mapping {
	vs, _ := k.proc.vmasIn(k.base, k.base+uintptr(k.size), true)
	var out []Mapping
	for _, v := range vs {
		m := Mapping{
			Range:     Range{k.guest(v.start), k.guest(v.end)},
			Shared:    v.perms[3] == 's',
			Anonymous: v.inode == 0 || v.path == "/dev/zero (deleted)",
			Offset:    v.off,
			Dev:       v.dev,
			Inode:     v.inode,
			Locked:    v.flags&kfLocked != 0,
			GrowsDown: v.flags&kfGrowsDown != 0,
			DontFork:  v.flags&kfDontFork != 0, WipeOnFork: v.flags&kfWipeOnFork != 0, DontDump: v.flags&kfDontDump != 0,
		}
		if v.inode != 0 {
			m.Path = v.path
		}
		for i, c := range []int{ProtRead, ProtWrite, ProtExec} {
			if v.perms[i] != '-' {
				m.Prot |= c
			}
		}
		out = append(out, m)
	}
	return out
}

func (k *orcKernelTarget) Translate(a Addr, n uint64) (uintptr, bool) {
	if a < k.g0 || uint64(a-k.g0)+n > k.size {
		return 0, false
	}
	return k.host(a), true
}

// mapped reports whether every page of [h, h+n) is mapped: the harness
// never touches unmapped memory (it could grow a MAP_GROWSDOWN mapping).
func (k *orcKernelTarget) mapped(h uintptr, n uint64) bool {
	vs, _ := k.proc.vmasIn(k.base, k.base+uintptr(k.size), false)
	for p := h &^ (orcPage - 1); p < h+uintptr(n); p += orcPage {
		if !orcMapped(vs, p) {
			return false
		}
	}
	return true
}

func (k *orcKernelTarget) CopyIn(dst []byte, a Addr) unix.Errno {
	h, ok := k.Translate(a, uint64(len(dst)))
	if !ok || !k.mapped(h, uint64(len(dst))) || !orcRead(dst, h) {
		return unix.EFAULT
	}
	return 0
}

func (k *orcKernelTarget) CopyOut(a Addr, src []byte) unix.Errno {
	h, ok := k.Translate(a, uint64(len(src)))
	if !ok || !k.mapped(h, uint64(len(src))) || !orcWrite(h, src) {
		return unix.EFAULT
	}
	return 0
}

func (k *orcKernelTarget) CheckInvariants() error { return nil }

func (k *orcKernelTarget) WriteProcMaps(w io.Writer) error {
	vs, err := k.proc.vmasIn(k.base, k.base+uintptr(k.size), false)
	if err != nil {
		return err
	}
	for _, v := range vs {
		fmt.Fprintf(w, "%08x-%08x %s %08x %02x:%02x %d", uint64(k.guest(v.start)), uint64(k.guest(v.end)), v.perms, v.off,
			unix.Major(v.dev), unix.Minor(v.dev), v.inode)
		if v.path != "" {
			fmt.Fprintf(w, " %s", v.path)
		}
		fmt.Fprintln(w)
	}
	return nil
}

func (k *orcKernelTarget) Close() error {
	if e := orcMunmap(k.base, k.size); e != 0 {
		return e
	}
	return nil
}

// orcHasPKU reports whether the CPU has protection keys, with which Linux
// makes PROT_EXEC-only mappings execute-only (unreadable) on x86.
func orcHasPKU() bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "flags") {
			for _, f := range strings.Fields(line) {
				if f == "pku" {
					return true
				}
			}
			return false
		}
	}
	return false
}

// orcGuardGapPages returns the host's stack_guard_gap in pages (the
// stack_guard_gap= boot parameter, default 256).
func orcGuardGapPages() uint64 {
	b, _ := os.ReadFile("/proc/cmdline")
	for _, f := range strings.Fields(string(b)) {
		if v, ok := strings.CutPrefix(f, "stack_guard_gap="); ok {
			if n, err := strconv.ParseUint(v, 0, 64); err == nil {
				return n
			}
		}
	}
	return 256
}

// orcKernelAtLeast reports whether the running kernel's release is at least
// major.minor.
func orcKernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	rel := unix.ByteSliceToString(u.Release[:])
	parts := strings.SplitN(rel, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, _ := strconv.Atoi(parts[0])
	mi, _ := strconv.Atoi(strings.TrimLeftFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	return ma > major || (ma == major && mi >= minor)
}

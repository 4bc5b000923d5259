package linux

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
)

// Image describes a program loaded into an address space: what the initial
// stack's auxiliary vector and the CPU need.
type Image struct {
	// Path is the host path of the executable.
	Path string
	// Entry is where the guest starts: the interpreter's entry point for a
	// dynamic program, the program's own otherwise.
	Entry guestmem.Addr
	// ProgEntry is the program's entry point (AT_ENTRY).
	ProgEntry guestmem.Addr
	// Phdr, Phent and Phnum locate the program headers in guest memory
	// (AT_PHDR, AT_PHENT, AT_PHNUM).
	Phdr         guestmem.Addr
	Phent, Phnum uint64
	// InterpBase is the interpreter's load address (AT_BASE), 0 if none.
	InterpBase guestmem.Addr
	// InterpPath is the host path of the interpreter, "" if none.
	InterpPath string
	// BrkBase is the end of the program's highest segment, page-aligned.
	BrkBase guestmem.Addr
	// ExecStack is true when PT_GNU_STACK asks for an executable stack (or
	// is missing, as Linux assumes then).
	ExecStack bool
}

// LoadOptions are the loader's settings.
type LoadOptions struct {
	// Prefix is the guest system root (-L): an absolute PT_INTERP path is
	// looked up below it first.
	Prefix string
	// Logf, if set, receives the page-level decisions (-d page).
	Logf func(format string, args ...any)
}

// errNotRISCV64 is returned for an ELF file for another machine.
var errNotRISCV64 = errors.New("not a riscv64 ELF executable")

// elfFile is an open ELF file: its host descriptor and parsed headers.
type elfFile struct {
	path string
	fd   int
	f    *elf.File
}

// fdReader reads a host file descriptor at an offset without the os
// package, so that loading opens no poller descriptors.
type fdReader int

func (r fdReader) ReadAt(p []byte, off int64) (int, error) {
	total := 0
	for total < len(p) {
		n, err := unix.Pread(int(r), p[total:], off+int64(total))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, io.EOF
		}
		total += n
	}
	return total, nil
}

func openELF(path string) (*elfFile, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fsError{"open", path, err}
	}
	f, err := elf.NewFile(fdReader(fd))
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Machine != elf.EM_RISCV || f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", path, errNotRISCV64)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w (type %v)", path, errNotRISCV64, f.Type)
	}
	return &elfFile{path: path, fd: fd, f: f}, nil
}

func (e *elfFile) close() { unix.Close(e.fd) }

type fsError struct {
	op, path string
	err      error
}

func (e *fsError) Error() string { return e.op + " " + e.path + ": " + e.err.Error() }
func (e *fsError) Unwrap() error { return e.err }

// loaded is the result of mapping one ELF file.
type loaded struct {
	bias  guestmem.Addr // added to every p_vaddr
	end   guestmem.Addr // end of the highest segment (not page-aligned)
	entry guestmem.Addr
	phdr  guestmem.Addr
}

// Load maps the executable at path, and its interpreter if it has one, into
// sp, and sets the program break after the executable's highest segment.
func Load(sp *guestmem.Space, path string, opts LoadOptions) (*Image, error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	exe, err := openELF(path)
	if err != nil {
		return nil, err
	}
	defer exe.close()

	img := &Image{Path: path, ExecStack: true}
	interp := ""
	for _, p := range exe.f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return nil, fmt.Errorf("%s: reading PT_INTERP: %w", path, err)
			}
			if i := indexByte(b, 0); i >= 0 {
				b = b[:i]
			}
			interp = string(b)
		case elf.PT_GNU_STACK:
			img.ExecStack = p.Flags&elf.PF_X != 0
		}
	}

	g := sp.GuestPageSize()
	// Linux: a position-independent program with an interpreter goes at
	// ELF_ET_DYN_BASE, two thirds of the user address space; one without
	// (static-pie, or ld.so run directly) goes where mmap would put it.
	var hint guestmem.Addr
	if exe.f.Type == elf.ET_DYN && interp != "" {
		hint = guestmem.Addr(alignDown(uint64(sp.StackTop())/3*2, g))
	}
	main, err := mapELF(sp, exe, hint, logf)
	if err != nil {
		return nil, err
	}
	img.ProgEntry = main.entry
	img.Entry = main.entry
	img.Phdr = main.phdr
	img.Phent = 56
	img.Phnum = uint64(len(exe.f.Progs))
	img.BrkBase = guestmem.Addr(alignUp(uint64(main.end), g))

	if interp != "" {
		ipath := resolveInterp(opts.Prefix, interp)
		ie, err := openELF(ipath)
		if err != nil {
			return nil, fmt.Errorf("interpreter: %w", err)
		}
		defer ie.close()
		in, err := mapELF(sp, ie, 0, logf)
		if err != nil {
			return nil, fmt.Errorf("interpreter %s: %w", ipath, err)
		}
		img.InterpPath = ipath
		img.InterpBase = in.bias
		img.Entry = in.entry
	}
	sp.SetBrkBase(img.BrkBase)
	logf("loader: %s entry %#x brk %#x interp base %#x", path, uint64(img.Entry), uint64(img.BrkBase), uint64(img.InterpBase))
	return img, nil
}

// resolveInterp applies the -L rule: an absolute path that exists below
// prefix is taken from there.
func resolveInterp(prefix, p string) string {
	if prefix == "" || !filepath.IsAbs(p) {
		return p
	}
	q := filepath.Join(prefix, p)
	if unix.Access(q, unix.F_OK) == nil {
		return q
	}
	return p
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func alignDown(x, a uint64) uint64 { return x &^ (a - 1) }
func alignUp(x, a uint64) uint64   { return (x + a - 1) &^ (a - 1) }

func elfProt(f elf.ProgFlag) int {
	prot := guestmem.ProtNone
	if f&elf.PF_R != 0 {
		prot |= guestmem.ProtRead
	}
	if f&elf.PF_W != 0 {
		prot |= guestmem.ProtWrite
	}
	if f&elf.PF_X != 0 {
		prot |= guestmem.ProtExec
	}
	return prot
}

// mapELF maps the PT_LOAD segments of e. An ET_DYN file is placed as one
// block (at hint if that is free, else where mmap chooses), an ET_EXEC file
// at its own addresses. Gaps between segments are left unmapped, as Linux
// leaves them.
func mapELF(sp *guestmem.Space, e *elfFile, hint guestmem.Addr, logf func(string, ...any)) (loaded, error) {
	g := sp.GuestPageSize()
	var loads []*elf.Prog
	lo, hi := ^uint64(0), uint64(0)
	align := g
	for _, p := range e.f.Progs {
		if p.Type != elf.PT_LOAD || p.Memsz == 0 {
			continue
		}
		if p.Filesz > p.Memsz {
			return loaded{}, fmt.Errorf("%s: PT_LOAD with p_filesz > p_memsz", e.path)
		}
		if p.Vaddr+p.Memsz < p.Vaddr {
			return loaded{}, fmt.Errorf("%s: PT_LOAD wraps around", e.path)
		}
		loads = append(loads, p)
		lo = min(lo, alignDown(p.Vaddr, g))
		hi = max(hi, p.Vaddr+p.Memsz)
		if p.Align > align && p.Align&(p.Align-1) == 0 {
			align = p.Align
		}
	}
	if len(loads) == 0 {
		return loaded{}, fmt.Errorf("%s: no loadable segments", e.path)
	}
	span := alignUp(hi, g) - lo

	var bias guestmem.Addr
	if e.f.Type == elf.ET_DYN {
		// Reserve the whole image, aligned to its largest p_align,
		// then map the segments over the reservation.
		extra := align - g
		base, errno := sp.Mmap(hint, span+extra, guestmem.ProtNone, guestmem.MapPrivate|guestmem.MapAnonymous, -1, 0)
		if errno != 0 {
			return loaded{}, fmt.Errorf("%s: reserving %#x bytes: %w", e.path, span, errno)
		}
		start := guestmem.Addr(alignUp(uint64(base), align))
		if start > base {
			sp.Munmap(base, uint64(start-base))
		}
		if tail := uint64(base) + span + extra - (uint64(start) + span); tail > 0 {
			sp.Munmap(start+guestmem.Addr(span), tail)
		}
		bias = start - guestmem.Addr(lo)
	} else if uint64(lo) < 0x10000 || hi > uint64(sp.Size()) {
		return loaded{}, fmt.Errorf("%s: segments at [%#x, %#x) lie outside the guest address space", e.path, lo, hi)
	}

	var prevEnd guestmem.Addr // end of the pages mapped by earlier segments
	var prevProt int
	for _, p := range loads {
		end, prot, err := mapSegment(sp, e, p, bias, prevEnd, prevProt, logf)
		if err != nil {
			return loaded{}, err
		}
		prevEnd, prevProt = end, prot
	}

	// Unmap the gaps between segments inside an ET_DYN reservation.
	if e.f.Type == elf.ET_DYN {
		cur := bias + guestmem.Addr(lo)
		for _, p := range loads {
			s := guestmem.Addr(alignDown(uint64(bias)+p.Vaddr, g))
			if s > cur {
				sp.Munmap(cur, uint64(s-cur))
			}
			cur = max(cur, guestmem.Addr(alignUp(uint64(bias)+p.Vaddr+p.Memsz, g)))
		}
	}

	l := loaded{
		bias:  bias,
		end:   bias + guestmem.Addr(hi),
		entry: bias + guestmem.Addr(e.f.Entry),
	}
	l.phdr = findPhdr(e, bias)
	return l, nil
}

// findPhdr returns the guest address of the program headers: PT_PHDR if
// present, else the PT_LOAD that covers e_phoff.
func findPhdr(e *elfFile, bias guestmem.Addr) guestmem.Addr {
	for _, p := range e.f.Progs {
		if p.Type == elf.PT_PHDR {
			return bias + guestmem.Addr(p.Vaddr)
		}
	}
	phoff := phoffOf(e)
	for _, p := range e.f.Progs {
		if p.Type == elf.PT_LOAD && p.Off <= phoff && phoff < p.Off+p.Filesz {
			return bias + guestmem.Addr(p.Vaddr+phoff-p.Off)
		}
	}
	return 0
}

// phoffOf reads e_phoff from the ELF header (debug/elf does not keep it).
func phoffOf(e *elfFile) uint64 {
	var b [8]byte
	if _, err := fdReader(e.fd).ReadAt(b[:], 32); err != nil {
		return 0
	}
	return le64(b[:])
}

// mapSegment maps one PT_LOAD segment. prevEnd and prevProt describe the
// pages already mapped by the previous segment (a segment whose alignment
// is below the guest page size may share its first page with it). It
// returns the end of the pages it mapped and their protection.
//
// A segment whose p_align is at least G and whose file offset is congruent
// to its address modulo G is mapped from the file (private); its bss is
// zeroed on the last file page and mapped anonymous beyond. Any other
// segment is copied into anonymous memory (Linux would refuse such a file;
// qemu copies, and so do we).
func mapSegment(sp *guestmem.Space, e *elfFile, p *elf.Prog, bias, prevEnd guestmem.Addr, prevProt int, logf func(string, ...any)) (guestmem.Addr, int, error) {
	g := sp.GuestPageSize()
	prot := elfProt(p.Flags)
	vaddr := uint64(bias) + p.Vaddr
	start := alignDown(vaddr, g)
	fileEnd := vaddr + p.Filesz
	memEnd := vaddr + p.Memsz
	end := alignUp(memEnd, g)
	copyIn := p.Align < g || (p.Vaddr-p.Off)%g != 0 || p.Off < vaddr-start || guestmem.Addr(start) < prevEnd

	if !copyIn {
		fileMapEnd := alignUp(fileEnd, g)
		if p.Filesz > 0 {
			if _, errno := sp.Mmap(guestmem.Addr(start), fileMapEnd-start, prot,
				guestmem.MapPrivate|guestmem.MapFixed, e.fd, int64(p.Off-(vaddr-start))); errno != 0 {
				return 0, 0, fmt.Errorf("%s: mapping segment at %#x: %w", e.path, vaddr, errno)
			}
		} else {
			fileMapEnd = start
		}
		if memEnd > fileEnd && fileMapEnd > fileEnd {
			// Linux (padzero): zero the last file page from the end
			// of the file data to the end of the page, not only to
			// p_memsz; ld.so's early allocator uses that tail.
			if err := zeroGuest(sp, guestmem.Addr(fileEnd), fileMapEnd-fileEnd, prot, g); err != nil {
				return 0, 0, fmt.Errorf("%s: clearing bss at %#x: %w", e.path, fileEnd, err)
			}
		}
		if end > fileMapEnd {
			if _, errno := sp.Mmap(guestmem.Addr(fileMapEnd), end-fileMapEnd, prot,
				guestmem.MapPrivate|guestmem.MapAnonymous|guestmem.MapFixed, -1, 0); errno != 0 {
				return 0, 0, fmt.Errorf("%s: mapping bss at %#x: %w", e.path, fileMapEnd, errno)
			}
		}
		logf("loader: %s: mapped segment [%#x, %#x) prot %s from file offset %#x", filepath.Base(e.path), start, end, protString(prot), p.Off-(vaddr-start))
		return guestmem.Addr(end), prot, nil
	}

	// Copy: map anonymous writable memory (the part not already mapped by
	// the previous segment), read the file bytes in, then protect.
	rw := guestmem.ProtRead | guestmem.ProtWrite
	newStart := max(guestmem.Addr(start), prevEnd)
	if guestmem.Addr(start) < prevEnd {
		if errno := sp.Mprotect(guestmem.Addr(start), uint64(prevEnd)-start, prevProt|rw); errno != 0 {
			return 0, 0, fmt.Errorf("%s: copying segment at %#x: %w", e.path, vaddr, errno)
		}
	}
	if uint64(newStart) < end {
		if _, errno := sp.Mmap(newStart, end-uint64(newStart), rw,
			guestmem.MapPrivate|guestmem.MapAnonymous|guestmem.MapFixed, -1, 0); errno != 0 {
			return 0, 0, fmt.Errorf("%s: mapping segment at %#x: %w", e.path, vaddr, errno)
		}
	}
	if p.Filesz > 0 {
		if err := readSegment(sp, e, guestmem.Addr(vaddr), p.Filesz, int64(p.Off)); err != nil {
			return 0, 0, err
		}
	}
	if guestmem.Addr(start) < prevEnd {
		sp.Mprotect(guestmem.Addr(start), uint64(prevEnd)-start, prevProt|prot)
	}
	if uint64(newStart) < end {
		sp.Mprotect(newStart, end-uint64(newStart), prot)
	}
	logf("loader: %s: segment [%#x, %#x) p_align %#x below page size %#x or misaligned: copied, not mapped",
		filepath.Base(e.path), vaddr, memEnd, p.Align, g)
	return guestmem.Addr(end), prot, nil
}

// readSegment reads n bytes of the file at off into guest memory at a,
// already mapped writable: straight into the window, or through a buffer
// where the host page is stricter than the guest pages (guest pages smaller
// than host pages).
func readSegment(sp *guestmem.Space, e *elfFile, a guestmem.Addr, n uint64, off int64) error {
	buf, errno := sp.Slice(a, n, guestmem.AccessWrite)
	if errno != 0 {
		return fmt.Errorf("%s: copying segment at %#x: %w", e.path, a, errno)
	}
	direct := sp.HostAllows(a, n, guestmem.AccessWrite)
	if !direct {
		buf = make([]byte, n)
	}
	if _, err := fdReader(e.fd).ReadAt(buf, off); err != nil {
		return fmt.Errorf("%s: reading segment at %#x: %w", e.path, a, err)
	}
	if !direct {
		if errno := sp.CopyOut(a, buf); errno != 0 {
			return fmt.Errorf("%s: copying segment at %#x: %w", e.path, a, errno)
		}
	}
	return nil
}

// zeroGuest writes n zero bytes at a, temporarily adding write permission
// to the pages if prot lacks it.
func zeroGuest(sp *guestmem.Space, a guestmem.Addr, n uint64, prot int, g uint64) error {
	if prot&guestmem.ProtWrite == 0 {
		ps := guestmem.Addr(alignDown(uint64(a), g))
		pl := alignUp(uint64(a)+n, g) - uint64(ps)
		if errno := sp.Mprotect(ps, pl, prot|guestmem.ProtWrite); errno != 0 {
			return errno
		}
		defer sp.Mprotect(ps, pl, prot)
	}
	if errno := sp.CopyOut(a, make([]byte, n)); errno != 0 {
		return errno
	}
	return nil
}

func protString(prot int) string {
	b := []byte("---")
	if prot&guestmem.ProtRead != 0 {
		b[0] = 'r'
	}
	if prot&guestmem.ProtWrite != 0 {
		b[1] = 'w'
	}
	if prot&guestmem.ProtExec != 0 {
		b[2] = 'x'
	}
	return string(b)
}

func le64(b []byte) uint64 {
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func put64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (8 * i))
	}
}

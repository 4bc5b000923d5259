package guestmem

// Fuzz targets: input bytes decode into a sequence of memory operations.
//
// FuzzOps runs the sequence against the host kernel and a Space with the
// Linux-differential harness (linux_diff_test.go): any divergence, any
// CheckInvariants error, any panic or hang fails. With -diff.fuzzkernel=false
// it runs the operations on a Space alone, with arbitrary 64-bit arguments
// the kernel comparison cannot take (addresses anywhere, any flags), and
// checks only that nothing panics or hangs and that CheckInvariants holds.
//
//	go test ./guestmem -run '^$' -fuzz=FuzzOps
//	go test ./guestmem -run '^$' -fuzz=FuzzOps -diff.fuzzkernel=false

import (
	"encoding/binary"
	"flag"
	"fmt"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var diffFuzzKernel = flag.Bool("diff.fuzzkernel", true, "FuzzOps: compare with the host kernel (false: run on a Space alone, with unrestricted arguments)")

// fuzzBytes reads an operation sequence's fields from the fuzz input; past
// the end it reads zeros.
type fuzzBytes struct{ b []byte }

func (f *fuzzBytes) u8() uint8 {
	if len(f.b) == 0 {
		return 0
	}
	v := f.b[0]
	f.b = f.b[1:]
	return v
}

func (f *fuzzBytes) u16() uint16 { return uint16(f.u8()) | uint16(f.u8())<<8 }

func (f *fuzzBytes) u64() uint64 {
	var x [8]byte
	n := copy(x[:], f.b)
	f.b = f.b[n:]
	return binary.LittleEndian.Uint64(x[:])
}

// fuzzAddr decodes an address argument the differential harness can take:
// relative to the region (a page index from 64 pages below it to 64 above,
// sometimes with a sub-page offset) or one of the absolute values.
func fuzzAddr(f *fuzzBytes, pages int64) diffAddr {
	sel := f.u8()
	switch {
	case sel < 8:
		abs := []uint64{0, 4096, 1 << 47, 1 << 63, ^uint64(0) &^ 0xffff, ^uint64(0)}
		return diffAddr{abs: true, v: int64(abs[int(sel)%len(abs)])}
	default:
		p := int64(f.u16())%(pages+128) - 64
		a := diffAddr{v: p * diffHostPage}
		if sel >= 240 {
			a.v += int64(f.u16() % diffHostPage)
		}
		return a
	}
}

// fuzzLen decodes a length: a page count (sometimes less a few bytes), 0,
// a wrapping length, or a huge one.
func fuzzLen(f *fuzzBytes, pages int64) diffLen {
	sel := f.u8()
	switch {
	case sel < 8:
		return diffLen{}
	case sel < 16:
		return diffLen{wrap: true, v: uint64(sel%3) * diffHostPage}
	case sel < 24:
		huge := []uint64{^uint64(0), ^uint64(0) - 4095, ^uint64(0) - 0xffff, 1 << 63}
		return diffLen{v: huge[int(sel)%len(huge)]}
	}
	l := (1 + uint64(f.u16())%uint64(pages)) * diffHostPage
	if sel >= 240 {
		l -= uint64(1 + f.u16()%(diffHostPage-1))
	}
	return diffLen{v: l}
}

// fuzzOps decodes data into operations for a region of the given size.
func fuzzOps(data []byte, pages int64) []diffOp {
	f := &fuzzBytes{b: data}
	var ops []diffOp
	for len(f.b) > 0 && len(ops) < 64 {
		o := diffOp{kind: diffOpKind(f.u8() % uint8(len(diffOpNames)))}
		o.addr = fuzzAddr(f, pages)
		o.length = fuzzLen(f, pages)
		switch o.kind {
		case dopMmap:
			o.prot = int(f.u8()) & 0xf
			if f.u8() < 16 {
				o.prot |= ProtGrowsDown
			}
			o.flags = int(f.u8())&MapTypeMask | int(f.u8())<<4&0xff0 | int(f.u8())<<12&0x1ff000
			o.flags &^= MapHugeTLB // depends on the host's huge page pool; not generated
			o.fd = int(f.u8()) % orcNumFds
			o.off = uint64(f.u8()) * diffHostPage
			if o.flags&(MapFixed|MapFixedNoReplace) == 0 && f.u8() < 160 {
				o.addr = diffAddr{abs: true} // no hint
			}
		case dopMprotect:
			o.prot = int(f.u8())
			if o.prot&0x80 != 0 {
				o.prot = o.prot&0x7 | ProtGrowsDown
			}
		case dopMremap:
			o.newLen = fuzzLen(f, pages)
			o.newLen.wrap = false
			o.flags = int(f.u8()) & 0xf
			o.newAddr = fuzzAddr(f, pages)
		case dopMsync:
			o.flags = int(f.u8()) & 0xf
		case dopMadvise:
			o.flags = diffAdvices[int(f.u8())%len(diffAdvices)]
		case dopMlock:
			o.flags = int(f.u8()) & 3
		case dopWrite, dopRead:
			n := 1 + uint64(f.u16())%diffHostPage
			o.length = diffLen{v: n}
			o.data = f.u8()
			if o.addr.abs {
				o.addr = diffAddr{}
			}
			// The harness writes and reads within the region only.
			p := o.addr.v
			if p < 0 || p+int64(n) > pages*diffHostPage {
				o.addr = diffAddr{v: (p%(pages*diffHostPage) + pages*diffHostPage) % (pages*diffHostPage - diffHostPage)}
			}
		}
		ops = append(ops, o)
	}
	return ops
}

// fuzzSeeds are seed inputs: a few hand-written sequences encoded the way
// fuzzOps reads them.
func fuzzSeeds() [][]byte {
	enc := func(fields ...any) []byte {
		var b []byte
		for _, x := range fields {
			switch v := x.(type) {
			case int:
				b = append(b, byte(v))
			case uint16:
				b = append(b, byte(v), byte(v>>8))
			}
		}
		return b
	}
	page := func(p int) uint16 { return uint16(p + 64) }
	anonFixedRW := enc(int(dopMmap), 100, page(16), 100, uint16(4), // addr R+16p, len 5p
		3, 200, MapPrivate, MapFixed>>4|MapAnonymous>>4, 0, orcFdBadNeg, 0)
	return [][]byte{
		anonFixedRW,
		append(append([]byte{}, anonFixedRW...),
			enc(int(dopWrite), 100, page(17), 100, uint16(0), uint16(100), 7)...),
		append(append([]byte{}, anonFixedRW...),
			enc(int(dopMprotect), 100, page(17), 100, uint16(0), 1)...),
		append(append([]byte{}, anonFixedRW...),
			enc(int(dopMremap), 100, page(16), 100, uint16(1), 100, uint16(7), MremapMayMove, 100, page(0))...),
		enc(int(dopMmap), 100, page(0), 100, uint16(3), 3, 200, MapShared, 0, 0, orcFdFile0RW, 2),
		enc(int(dopMunmap), 0, 12), // absolute 0, wrapping length
		{0xff, 0x00, 0x7f, 0x80, 0x01, 0xfe, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60},
	}
}

var (
	fuzzOnce   sync.Once
	fuzzRunner *diffRunner
	fuzzErr    error
)

func FuzzOps(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	if !*diffFuzzKernel {
		fuzzSpaceOnly(f)
		return
	}
	c := newDiffCase(diffSlotFuzz, diffHostPage)
	c.pages = 256
	env := setupDiff(f, c)
	r := newDiffRunner(c, env.proc, env.kf, env.sf)
	if err := r.start(); err != nil {
		f.Skipf("cannot create a Space: %v", err)
	}
	r.finish()
	f.Fuzz(func(t *testing.T, data []byte) {
		ops := fuzzOps(data, int64(c.pages))
		if r.hung {
			t.Skip("an earlier input hung guestmem")
		}
		i, err := r.runOps(ops)
		if err != nil {
			t.Fatalf("operation %d: %v\n\tsequence:\n%s", i, err, diffFormatOps(ops))
		}
	})
}

// fuzzSpaceOnly runs decoded operations with unrestricted arguments on a
// Space alone.
func fuzzSpaceOnly(f *testing.F) {
	sp, err := New(Config{MinAddr: 1 << 16})
	if err != nil {
		f.Skipf("cannot create a Space: %v", err)
	}
	sp.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		sp, err := New(Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer sp.Close()
		in := &fuzzBytes{b: data}
		var log []string
		buf := make([]byte, 2*diffHostPage)
		for len(in.b) > 0 && len(log) < 64 {
			kind := diffOpKind(in.u8() % uint8(len(diffOpNames)))
			a, n, m := Addr(in.u64()), in.u64(), in.u64()
			// Most addresses near the bottom of the mmap area, so that
			// operations meet each other.
			if in.u8() < 200 {
				a = Addr(0x10000000 + (uint64(a)%4096)*diffHostPage + uint64(a)>>60)
				n %= 64 * diffHostPage
			}
			x, y := int(int32(in.u64())), int(int32(in.u64()))
			var desc string
			done := make(chan struct{})
			go func() {
				defer close(done)
				defer func() {
					if p := recover(); p != nil {
						desc = fmt.Sprintf("panic: %v\n%s", p, debug.Stack())
					}
				}()
				var e unix.Errno
				var r Addr
				switch kind {
				case dopMmap:
					r, e = sp.Mmap(a, n, x, y, -1, int64(m)&^0xfff)
				case dopMunmap:
					e = sp.Munmap(a, n)
				case dopMprotect:
					e = sp.Mprotect(a, n, x)
				case dopMremap:
					r, e = sp.Mremap(a, n, m%(1<<24), x, Addr(y)<<12)
				case dopMsync:
					e = sp.Msync(a, n, x)
				case dopMadvise:
					if x == MadvHWPoison || x == MadvSoftOffline {
						x = MadvNormal
					}
					e = sp.Madvise(a, n, x)
				case dopMincore:
					pages := (n + diffHostPage - 1) / diffHostPage
					if pages <= 1<<16 {
						e = sp.Mincore(a, n, make([]byte, pages))
					}
				case dopMlock:
					e = sp.Mlock(a, n%(256*diffHostPage), x)
				case dopMunlock:
					e = sp.Munlock(a, n)
				case dopWrite:
					e = sp.CopyOut(a, buf[:n%uint64(len(buf))])
				case dopRead:
					e = sp.CopyIn(buf[:n%uint64(len(buf))], a)
				}
				log = append(log, fmt.Sprintf("%s(%#x, %#x, %#x, %#x, %#x) = %#x, %v", diffOpNames[kind], uint64(a), n, m, x, y, uint64(r), diffErrString(e)))
			}()
			select {
			case <-done:
			case <-time.After(diffHangTimeout):
				t.Fatalf("hang in %s(%#x, %#x, %#x, %#x, %#x) after:\n%v", diffOpNames[kind], uint64(a), n, m, x, y, log)
			}
			if desc != "" {
				t.Fatalf("%s\nafter:\n%v", desc, log)
			}
			if err := sp.CheckInvariants(); err != nil {
				t.Fatalf("CheckInvariants: %v\nafter:\n%v", err, log)
			}
		}
	})
}

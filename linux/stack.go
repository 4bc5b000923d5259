package linux

import (
	"crypto/rand"
	"fmt"

	"gemu.dev/gemu/guestmem"
)

// StackSpec is what goes on the initial stack.
type StackSpec struct {
	Argv, Envp []string
	// ExecFn is the AT_EXECFN string (the path the program was run as).
	ExecFn string
	// Size is the size of the stack mapping; 0 means 8 MiB.
	Size uint64
	// UID, EUID, GID, EGID go into the auxiliary vector.
	UID, EUID, GID, EGID uint64
}

// Stack is the initial stack as built.
type Stack struct {
	// SP is the initial stack pointer: it points at argc.
	SP guestmem.Addr
	// Mapping is the stack mapping.
	Mapping guestmem.Range
	// Auxv is the auxiliary vector as (key, value) pairs, ending in AT_NULL.
	Auxv []uint64
	// ArgStart and ArgEnd delimit the argument strings (for
	// /proc/self/cmdline).
	ArgStart, ArgEnd guestmem.Addr
}

const defaultStackSize = 8 << 20

// BuildStack maps the stack below sp.StackTop() and lays out, from the top
// down as Linux does: the AT_EXECFN string, the environment and argument
// strings (argv[0] lowest), 16 random bytes (AT_RANDOM), then, 16-byte
// aligned, argc, argv[], NULL, envp[], NULL and the auxiliary vector.
func BuildStack(sp *guestmem.Space, img *Image, spec StackSpec) (*Stack, error) {
	g := sp.GuestPageSize()
	size := spec.Size
	if size == 0 {
		size = defaultStackSize
	}
	size = alignUp(size, g)
	top := sp.StackTop()
	if uint64(top) < size+g {
		return nil, fmt.Errorf("stack of %#x bytes does not fit below %#x", size, uint64(top))
	}
	prot := guestmem.ProtRead | guestmem.ProtWrite
	if img.ExecStack {
		prot |= guestmem.ProtExec
	}
	bottom := top - guestmem.Addr(size)
	if _, errno := sp.Mmap(bottom, size, prot, guestmem.MapPrivate|guestmem.MapAnonymous|guestmem.MapFixed|guestmem.MapStack, -1, 0); errno != 0 {
		return nil, fmt.Errorf("mapping the stack at %#x: %w", uint64(bottom), errno)
	}
	st := &Stack{Mapping: guestmem.Range{Start: bottom, End: top}}
	sp.SetName(st.Mapping, "[stack]")

	// Strings, in one block: argv, envp, execfn.
	var block []byte
	argOff := make([]uint64, len(spec.Argv))
	for i, s := range spec.Argv {
		argOff[i] = uint64(len(block))
		block = append(block, s...)
		block = append(block, 0)
	}
	argLen := uint64(len(block))
	envOff := make([]uint64, len(spec.Envp))
	for i, s := range spec.Envp {
		envOff[i] = uint64(len(block))
		block = append(block, s...)
		block = append(block, 0)
	}
	execOff := uint64(len(block))
	block = append(block, spec.ExecFn...)
	block = append(block, 0)

	p := uint64(top) - 8 // Linux leaves one pointer-sized slot at the top
	p -= uint64(len(block))
	strBase := p
	p &^= 15
	p -= 16
	randomAt := p

	auxv := []uint64{
		atHwcap, hwcapRV64GC,
		atPagesz, g,
		atClktck, 100,
		atPhdr, uint64(img.Phdr),
		atPhent, img.Phent,
		atPhnum, img.Phnum,
		atBase, uint64(img.InterpBase),
		atFlags, 0,
		atEntry, uint64(img.ProgEntry),
		atUID, spec.UID,
		atEUID, spec.EUID,
		atGID, spec.GID,
		atEGID, spec.EGID,
		atSecure, 0,
		atRandom, randomAt,
		atExecfn, strBase + execOff,
		atNull, 0,
	}
	words := 1 + len(spec.Argv) + 1 + len(spec.Envp) + 1 + len(auxv)
	p -= uint64(words) * 8
	p &^= 15
	if p < uint64(bottom)+g {
		return nil, fmt.Errorf("arguments and environment (%d bytes) do not fit on a %#x-byte stack", len(block), size)
	}

	table := make([]byte, words*8)
	w := 0
	put := func(v uint64) { put64(table[w:], v); w += 8 }
	put(uint64(len(spec.Argv)))
	for _, o := range argOff {
		put(strBase + o)
	}
	put(0)
	for _, o := range envOff {
		put(strBase + o)
	}
	put(0)
	for _, v := range auxv {
		put(v)
	}

	var random [16]byte
	rand.Read(random[:])
	for _, c := range []struct {
		at   uint64
		data []byte
	}{{strBase, block}, {randomAt, random[:]}, {p, table}} {
		if errno := sp.CopyOut(guestmem.Addr(c.at), c.data); errno != 0 {
			return nil, fmt.Errorf("writing the initial stack at %#x: %w", c.at, errno)
		}
	}
	st.SP = guestmem.Addr(p)
	st.Auxv = auxv
	st.ArgStart = guestmem.Addr(strBase)
	st.ArgEnd = guestmem.Addr(strBase + argLen)
	return st, nil
}

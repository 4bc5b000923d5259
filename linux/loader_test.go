package linux

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"testing"

	"gemu.dev/gemu/guestmem"
)

func newSpace(t *testing.T) *guestmem.Space {
	t.Helper()
	sp, err := guestmem.New(guestmem.Config{})
	if err != nil {
		t.Fatalf("guestmem.New: %v", err)
	}
	t.Cleanup(func() { sp.Close() })
	return sp
}

func readGuest(t *testing.T, sp *guestmem.Space, a guestmem.Addr, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if errno := sp.CopyIn(b, a); errno != 0 {
		t.Fatalf("reading guest %#x: %v", uint64(a), errno)
	}
	return b
}

func readString(t *testing.T, sp *guestmem.Space, a guestmem.Addr) string {
	t.Helper()
	var out []byte
	for {
		b := readGuest(t, sp, a, 1)
		if b[0] == 0 {
			return string(out)
		}
		out = append(out, b[0])
		a++
	}
}

// TestLoadAndStack loads real riscv64 programs and checks the image and the
// initial stack against what the ELF file says.
func TestLoadAndStack(t *testing.T) {
	for _, mode := range []string{"static", "dynamic"} {
		t.Run(mode, func(t *testing.T) {
			path := guestProgram(t, "args", mode)
			sp := newSpace(t)
			img, err := Load(sp, path, LoadOptions{Prefix: sysroot(), Logf: t.Logf})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			f, err := elf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var bias guestmem.Addr
			if f.Type == elf.ET_DYN {
				bias = img.ProgEntry - guestmem.Addr(f.Entry)
			}
			if img.ProgEntry != bias+guestmem.Addr(f.Entry) {
				t.Errorf("ProgEntry %#x, want %#x", img.ProgEntry, bias+guestmem.Addr(f.Entry))
			}
			if (mode == "dynamic") != (img.InterpBase != 0) {
				t.Errorf("InterpBase %#x for a %s program", img.InterpBase, mode)
			}
			if mode == "static" && img.Entry != img.ProgEntry {
				t.Errorf("static program: Entry %#x != ProgEntry %#x", img.Entry, img.ProgEntry)
			}
			// The program headers in guest memory are the file's.
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			phoff := binary.LittleEndian.Uint64(raw[32:])
			want := raw[phoff : phoff+56*uint64(len(f.Progs))]
			if got := readGuest(t, sp, img.Phdr, len(want)); !bytes.Equal(got, want) {
				t.Errorf("program headers at AT_PHDR %#x differ from the file's", img.Phdr)
			}
			// Every PT_LOAD's file bytes are in memory; its bss is zero.
			var end uint64
			for _, p := range f.Progs {
				if p.Type != elf.PT_LOAD {
					continue
				}
				a := bias + guestmem.Addr(p.Vaddr)
				m, ok := sp.Lookup(a)
				if !ok || m.Prot != elfProt(p.Flags) {
					t.Errorf("segment at %#x: mapping %+v, want prot %s", a, m, protString(elfProt(p.Flags)))
				}
				if got := readGuest(t, sp, a, int(p.Filesz)); !bytes.Equal(got, raw[p.Off:p.Off+p.Filesz]) {
					t.Errorf("segment at %#x: contents differ from the file", a)
				}
				if bss := readGuest(t, sp, a+guestmem.Addr(p.Filesz), int(p.Memsz-p.Filesz)); !bytes.Equal(bss, make([]byte, len(bss))) {
					t.Errorf("segment at %#x: bss not zero", a)
				}
				end = max(end, uint64(bias)+p.Vaddr+p.Memsz)
			}
			if want := guestmem.Addr(alignUp(end, 4096)); img.BrkBase != want {
				t.Errorf("BrkBase %#x, want %#x", img.BrkBase, want)
			}

			argv := []string{"/bin/args", "one", "two three"}
			envp := []string{"A=1", "GEMU_TEST_VAR=x"}
			st, err := BuildStack(sp, img, StackSpec{Argv: argv, Envp: envp, ExecFn: "/bin/args", UID: 7})
			if err != nil {
				t.Fatalf("BuildStack: %v", err)
			}
			if st.SP%16 != 0 {
				t.Errorf("sp %#x not 16-byte aligned", st.SP)
			}
			words := func(a guestmem.Addr, n int) []uint64 {
				b := readGuest(t, sp, a, 8*n)
				w := make([]uint64, n)
				for i := range w {
					w[i] = binary.LittleEndian.Uint64(b[8*i:])
				}
				return w
			}
			if argc := words(st.SP, 1)[0]; argc != uint64(len(argv)) {
				t.Fatalf("argc %d, want %d", argc, len(argv))
			}
			a := st.SP + 8
			for i, s := range argv {
				if got := readString(t, sp, guestmem.Addr(words(a, 1)[0])); got != s {
					t.Errorf("argv[%d] = %q, want %q", i, got, s)
				}
				a += 8
			}
			if words(a, 1)[0] != 0 {
				t.Errorf("argv not NULL-terminated")
			}
			a += 8
			for i, s := range envp {
				if got := readString(t, sp, guestmem.Addr(words(a, 1)[0])); got != s {
					t.Errorf("envp[%d] = %q, want %q", i, got, s)
				}
				a += 8
			}
			if words(a, 1)[0] != 0 {
				t.Errorf("envp not NULL-terminated")
			}
			a += 8
			aux := map[uint64]uint64{}
			for {
				kv := words(a, 2)
				a += 16
				if kv[0] == atNull {
					break
				}
				aux[kv[0]] = kv[1]
			}
			checks := map[uint64]uint64{
				atPagesz: 4096, atPhdr: uint64(img.Phdr), atPhent: 56, atPhnum: uint64(len(f.Progs)),
				atEntry: uint64(img.ProgEntry), atBase: uint64(img.InterpBase), atHwcap: 0x112d,
				atClktck: 100, atSecure: 0, atUID: 7,
			}
			for k, v := range checks {
				if aux[k] != v {
					t.Errorf("auxv[%d] = %#x, want %#x", k, aux[k], v)
				}
			}
			if got := readString(t, sp, guestmem.Addr(aux[atExecfn])); got != "/bin/args" {
				t.Errorf("AT_EXECFN = %q", got)
			}
			if r := guestmem.Addr(aux[atRandom]); r < st.SP || r+16 > st.Mapping.End {
				t.Errorf("AT_RANDOM %#x outside the stack", r)
			}
			if m, ok := sp.Lookup(st.SP); !ok || m.Name != "[stack]" {
				t.Errorf("stack mapping %+v", m)
			}
			if err := sp.CheckInvariants(); err != nil {
				t.Errorf("CheckInvariants: %v", err)
			}
		})
	}
}

// TestLoadCopiesUnderalignedSegments runs the loader at a guest page size
// larger than the program's p_align: segments are copied, not mapped.
func TestLoadCopiesUnderalignedSegments(t *testing.T) {
	path := guestProgram(t, "hello", "static")
	sp, err := guestmem.New(guestmem.Config{GuestPageSize: 64 << 10})
	if err != nil {
		t.Fatalf("guestmem.New: %v", err)
	}
	defer sp.Close()
	var logs []string
	img, err := Load(sp, path, LoadOptions{Logf: func(f string, a ...any) { logs = append(logs, f) }})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	copied := false
	for _, l := range logs {
		if bytes.Contains([]byte(l), []byte("copied")) {
			copied = true
		}
	}
	if !copied {
		t.Errorf("no segment reported as copied at G=64K; log: %q", logs)
	}
	if img.BrkBase%(64<<10) != 0 {
		t.Errorf("BrkBase %#x not aligned to G", img.BrkBase)
	}
	f, _ := elf.Open(path)
	defer f.Close()
	raw, _ := os.ReadFile(path)
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			got := make([]byte, p.Filesz)
			sp.CopyIn(got, guestmem.Addr(p.Vaddr))
			if !bytes.Equal(got, raw[p.Off:p.Off+p.Filesz]) {
				t.Errorf("segment at %#x: contents differ", p.Vaddr)
			}
		}
	}
}

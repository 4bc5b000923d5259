package linux

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The corpus test runs every guest program of ../testdata under
// qemu-riscv64 and under gemu (the built gemu-riscv64 command) and requires
// the same stdout and the same exit status (code, or killing signal).

// corpus lists the programs and the arguments they are run with.
var corpus = []struct {
	name string
	args []string
}{
	{"hello", nil},
	{"args", []string{"one", "two words", ""}},
	{"malloc", nil},
	{"fileio", nil},
	{"mmapfile", nil},
	{"procmaps", []string{"x", "last arg"}},
	{"segv", nil},
	{"sigbus", nil},
	{"jit", nil},
	{"traps", nil},
	{"alarm", nil},
	{"shm", nil},
	{"sockets", nil},
	{"events", nil},
	{"threads", nil},
	{"proc", nil},
	{"signals", nil},
	{"smallpages", nil},
}

var (
	gemuOnce sync.Once
	gemuBin  string
	gemuErr  error
)

// gemuCommand builds cmd/gemu-riscv64 once per test run.
func gemuCommand(t testing.TB) string {
	t.Helper()
	gemuOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gemu-bin-")
		if err != nil {
			gemuErr = err
			return
		}
		gemuBin = filepath.Join(dir, "gemu-riscv64")
		args := []string{"build", "-o", gemuBin}
		if raceEnabled {
			// A race in gemu makes it exit with status 66, which
			// the comparisons report.
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "gemu.dev/gemu/cmd/gemu-riscv64")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			gemuErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if gemuErr != nil {
		t.Fatalf("building gemu-riscv64: %v", gemuErr)
	}
	return gemuBin
}

// result is what a run produced.
type result struct {
	stdout []byte
	stderr []byte
	status string // "exit N" or "signal NAME"
}

func run(t *testing.T, timeout time.Duration, name string, args ...string) result {
	t.Helper()
	if raceEnabled {
		// gemu built with -race is several times slower.
		timeout *= 8
	}
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "GEMU_TEST_VAR=corpus")
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s %q: timed out after %v; stderr:\n%s", name, args, timeout, stderr.Bytes())
	}
	r := result{stdout: stdout.Bytes(), stderr: stderr.Bytes(), status: "exit 0"}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			r.status = "signal " + ws.Signal().String()
		} else {
			r.status = fmt.Sprintf("exit %d", ws.ExitStatus())
		}
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if stderr.Len() > 0 {
		t.Logf("%s stderr:\n%s", filepath.Base(name), stderr.Bytes())
	}
	return r
}

func TestCorpusAgainstQemu(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("gemu runs on Linux hosts only")
	}
	qemu := needTool(t, "qemu-riscv64")
	needTool(t, crossCC)
	gemu := gemuCommand(t)
	root := sysroot()
	for _, c := range corpus {
		for _, mode := range []string{"static", "dynamic"} {
			t.Run(c.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				bin := guestProgram(t, c.name, mode)
				want := run(t, 2*time.Minute, qemu, append([]string{"-L", root, bin}, c.args...)...)
				got := run(t, 2*time.Minute, gemu, append([]string{"-L", root, bin}, c.args...)...)
				compare(t, "qemu-riscv64", want, got)
			})
		}
	}
	t.Run("nolibc/static-pie", func(t *testing.T) {
		bin := guestProgram(t, "nolibc", "static-pie")
		want := run(t, time.Minute, qemu, bin, "a", "b")
		got := run(t, time.Minute, gemu, bin, "a", "b")
		compare(t, "qemu-riscv64", want, got)
	})
}

func compare(t *testing.T, peer string, want, got result) {
	t.Helper()
	// gemu never shows its own insides: no Go panic or stack trace, even
	// when the guest dies of a signal.
	for _, bad := range []string{"panic:", "goroutine ", "runtime error"} {
		if bytes.Contains(got.stderr, []byte(bad)) {
			t.Errorf("gemu's stderr contains %q:\n%s", bad, got.stderr)
		}
	}
	if want.status != got.status {
		t.Errorf("exit status: %s gives %q, gemu %q", peer, want.status, got.status)
	}
	if !bytes.Equal(want.stdout, got.stdout) {
		t.Errorf("stdout differs from %s's:\n%s", peer, lineDiff(string(want.stdout), string(got.stdout)))
	}
}

// lineDiff shows the differing middle of two outputs: the common leading
// and trailing lines are cut, and at most 30 lines of each side are shown.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	pre := 0
	for pre < len(w) && pre < len(g) && w[pre] == g[pre] {
		pre++
	}
	suf := 0
	for suf < len(w)-pre && suf < len(g)-pre && w[len(w)-1-suf] == g[len(g)-1-suf] {
		suf++
	}
	var b strings.Builder
	side := func(label string, lines []string) {
		fmt.Fprintf(&b, "%s (from line %d, %d lines):\n", label, pre+1, len(lines))
		for i, l := range lines {
			if i == 30 {
				b.WriteString("  ...\n")
				break
			}
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	side("want", w[pre:len(w)-suf])
	side("got", g[pre:len(g)-suf])
	return b.String()
}

// memconfNative builds testdata/memconf.c for the host.
func memconfNative(t *testing.T) string {
	t.Helper()
	cc := needTool(t, "cc")
	src, _ := filepath.Abs(filepath.Join("..", "testdata", "memconf.c"))
	native := filepath.Join(t.TempDir(), "memconf.native")
	if out, err := exec.Command(cc, "-O1", "-o", native, src).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cc, err, out)
	}
	return native
}

// memconfSetup skips unless the host has 4 KiB pages (the native oracle's)
// and returns gemu, memconf built for the host, and memconf for riscv64.
func memconfSetup(t *testing.T) (gemu, native, guest string) {
	t.Helper()
	if os.Getpagesize() != 4096 {
		t.Skip("the native oracle needs a 4 KiB-page host")
	}
	needTool(t, crossCC)
	return gemuCommand(t), memconfNative(t), guestProgram(t, "memconf", "static")
}

// samePlainRun checks that native memconf with arg prints what its plain
// run (base) printed.
func samePlainRun(t *testing.T, native string, base result, arg string) {
	t.Helper()
	if m := run(t, time.Minute, native, arg); !bytes.Equal(m.stdout, base.stdout) || m.status != base.status {
		t.Errorf("%s is not the plain native run:\n%s", arg, lineDiff(string(base.stdout), string(m.stdout)))
	}
}

// TestMemoryConformance runs testdata/memconf.c natively (the host kernel
// is the oracle) and under gemu at G = 4 KiB, and requires identical output.
func TestMemoryConformance(t *testing.T) {
	gemu, native, guest := memconfSetup(t)
	want := run(t, time.Minute, native)
	got := run(t, 2*time.Minute, gemu, "-page-size", "4096", guest)
	compare(t, "the native kernel", want, got)
}

// TestMemoryConformanceLargePages runs testdata/memconf.c under gemu at
// G = 16 KiB and 64 KiB (static build) and natively with "model=G": there
// every memory call goes through memconf's page-size model (the rules of
// guestmem's Linux-differential harness for G > H: alignment checks and
// rounding in units of G, G-aligned placement, mincore per G page, brk in
// G pages) on top of the 4 KiB kernel, and the outputs must be identical.
//
// It also checks the program itself: memconf states every size and address
// in units of its page size and prints page-size-dependent values in those
// units, so the native runs at 4 KiB and with each model size must agree
// apart from the line naming the page size, and model=4096 must be the
// plain 4 KiB run.
func TestMemoryConformanceLargePages(t *testing.T) {
	gemu, native, guest := memconfSetup(t)
	base := run(t, time.Minute, native)
	if base.status != "exit 0" {
		t.Fatalf("native memconf: %s", base.status)
	}
	samePlainRun(t, native, base, "model=4096")
	for _, g := range []string{"16384", "65536"} {
		t.Run("G="+g, func(t *testing.T) {
			want := run(t, time.Minute, native, "model="+g)
			if want.status != "exit 0" {
				t.Fatalf("native memconf model=%s: %s", g, want.status)
			}
			if !bytes.HasPrefix(want.stdout, []byte("pagesize "+g+"\n")) {
				t.Fatalf("native memconf model=%s does not run at page size %s", g, g)
			}
			// Apart from the page size line, the model's output is the
			// 4 KiB kernel's.
			if a, b := afterFirstLine(base.stdout), afterFirstLine(want.stdout); !bytes.Equal(a, b) {
				t.Errorf("memconf's output at model=%s is not its output at 4 KiB (a case is not written in units of the page size):\n%s", g, lineDiff(string(a), string(b)))
			}
			got := run(t, 2*time.Minute, gemu, "-page-size", g, guest)
			compare(t, "the native kernel with the page-size model", want, got)
		})
	}
}

// TestMemoryConformanceSmallPages runs testdata/memconf.c under gemu with
// 4 KiB guest pages on host pages of 16 and 64 KiB (-p), and natively on
// the 4 KiB kernel, and requires identical output. Both run with
// "hostpage=H": memconf then places its shared mappings (and the private
// file mapping whose case reads a later write to the file) where a host
// with H-byte pages can map them directly; gemu refuses a shared mapping
// elsewhere and holds a private one in a copy (see guestmem's doc.go), as
// its design for guest pages smaller than host pages says. Everything else
// is memconf's plain run: the native run at hostpage=4096 must be it.
func TestMemoryConformanceSmallPages(t *testing.T) {
	gemu, native, guest := memconfSetup(t)
	base := run(t, time.Minute, native)
	samePlainRun(t, native, base, "hostpage=4096")
	for _, h := range []string{"16384", "65536"} {
		t.Run("-p"+h, func(t *testing.T) {
			want := run(t, time.Minute, native, "hostpage="+h)
			if want.status != "exit 0" {
				t.Fatalf("native memconf hostpage=%s: %s", h, want.status)
			}
			got := run(t, 2*time.Minute, gemu, "-p", h, guest, "hostpage="+h)
			compare(t, "the native kernel", want, got)
		})
	}
}

// TestCorpusSmallPages runs the corpus with 4 KiB guest pages on host
// pages of 16 and 64 KiB (-p) and compares it with qemu-riscv64 at 4 KiB.
// There a host page shared by guest pages of different protections takes
// the most restrictive one: the CPU completes the accesses it refuses in
// software, fetches code the host cannot read through copies, and host
// calls on such pages go through bounce buffers (futex waits through gemu's
// own queue). smallpages.c makes such pages on purpose; in the others they
// arise where a program's writable data shares a host page with read-only
// data. Every such access costs some microseconds: malloc, whose globals
// all sit beside read-only data, runs 15 to 20 s per build at 16 KiB and
// twice that at 64 KiB; it runs at 16 KiB only, and not in -short mode.
func TestCorpusSmallPages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("gemu runs on Linux hosts only")
	}
	qemu := needTool(t, "qemu-riscv64")
	needTool(t, crossCC)
	gemu := gemuCommand(t)
	root := sysroot()
	for _, h := range []string{"16384", "65536"} {
		for _, c := range corpus {
			if c.name == "malloc" && (testing.Short() || h != "16384") {
				continue
			}
			for _, mode := range []string{"static", "dynamic"} {
				t.Run(c.name+"/"+mode+"/-p"+h, func(t *testing.T) {
					t.Parallel()
					bin := guestProgram(t, c.name, mode)
					want := run(t, 2*time.Minute, qemu, append([]string{"-L", root, bin}, c.args...)...)
					got := run(t, 3*time.Minute, gemu, append([]string{"-p", h, "-L", root, bin}, c.args...)...)
					compare(t, "qemu-riscv64", want, got)
				})
			}
		}
		t.Run("nolibc/static-pie/-p"+h, func(t *testing.T) {
			bin := guestProgram(t, "nolibc", "static-pie")
			want := run(t, time.Minute, qemu, bin, "a", "b")
			got := run(t, time.Minute, gemu, "-p", h, bin, "a", "b")
			compare(t, "qemu-riscv64", want, got)
		})
	}
}

// afterFirstLine is b without its first line.
func afterFirstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return nil
}

// TestCorpusLargeGuestPages runs the programs whose output does not depend
// on the page size at G = 16 KiB and 64 KiB (their segments, aligned for
// 4 KiB, are then copied rather than mapped), and at G = H = 16 KiB (the
// host granularity of a 16 KiB-page host), and compares with qemu-riscv64
// at 4 KiB. Only static builds: Debian's riscv64 shared libraries are
// linked for 4 KiB pages, and the guest's own ld.so refuses them at larger
// ones, as it would on a 64 KiB-page kernel.
func TestCorpusLargeGuestPages(t *testing.T) {
	qemu := needTool(t, "qemu-riscv64")
	needTool(t, crossCC)
	gemu := gemuCommand(t)
	for _, cfg := range []struct{ name, g, h string }{
		{"G=16K", "16384", ""},
		{"G=64K", "65536", ""},
		{"G=H=16K", "16384", "16384"},
	} {
		for _, name := range []string{"hello", "malloc", "fileio", "jit", "proc", "signals", "threads"} {
			t.Run(name+"/"+cfg.name, func(t *testing.T) {
				t.Parallel()
				bin := guestProgram(t, name, "static")
				args := []string{"-page-size", cfg.g}
				if cfg.h != "" {
					args = append(args, "-p", cfg.h)
				}
				want := run(t, 2*time.Minute, qemu, bin)
				got := run(t, 2*time.Minute, gemu, append(args, bin)...)
				compare(t, "qemu-riscv64", want, got)
			})
		}
	}
}

// TestSpawnAgainstNative runs testdata/spawn.c (system, popen, posix_spawn
// of itself, vfork + execve, a failing spawn) natively and under gemu, and
// requires the same output. The native kernel is the oracle here:
// qemu-riscv64 cannot start a riscv64 child without binfmt_misc, and
// reports a failed posix_spawn as a success.
func TestSpawnAgainstNative(t *testing.T) {
	cc := needTool(t, "cc")
	needTool(t, crossCC)
	gemu := gemuCommand(t)
	src, _ := filepath.Abs(filepath.Join("..", "testdata", "spawn.c"))
	native := filepath.Join(t.TempDir(), "spawn.native")
	if out, err := exec.Command(cc, "-O1", "-o", native, src).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cc, err, out)
	}
	want := run(t, time.Minute, native)
	for _, mode := range []string{"static", "dynamic"} {
		t.Run(mode, func(t *testing.T) {
			got := run(t, time.Minute, gemu, "-L", sysroot(), guestProgram(t, "spawn", mode))
			compare(t, "the native program", want, got)
		})
	}
}

// TestCommandLogs checks what -strace and -d page say.
func TestCommandLogs(t *testing.T) {
	needTool(t, crossCC)
	gemu := gemuCommand(t)
	bin := guestProgram(t, "proc", "static")
	r := run(t, time.Minute, gemu, "-strace", bin)
	for _, want := range []string{" uname(", " write(0x1,", " exit_group(0x7", "Unknown syscall 4000", " rseq("} {
		if !bytes.Contains(r.stderr, []byte(want)) {
			t.Errorf("-strace output lacks %q", want)
		}
	}
	hello := guestProgram(t, "hello", "static")
	r = run(t, time.Minute, gemu, "-d", "page", "-page-size", "65536", hello)
	if !bytes.Contains(r.stderr, []byte("copied, not mapped")) {
		t.Errorf("-d page at 64 KiB pages does not report the copied segments:\n%s", r.stderr)
	}
	log := filepath.Join(t.TempDir(), "log")
	r = run(t, time.Minute, gemu, "-d", "page", "-D", log, hello)
	b, err := os.ReadFile(log)
	if err != nil || !bytes.Contains(b, []byte("loader: ")) || bytes.Contains(r.stderr, []byte("loader: ")) {
		t.Errorf("-D %s: log %q (%v), stderr %q", log, b, err, r.stderr)
	}
}

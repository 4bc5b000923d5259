package linux

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Guest programs for the tests are built from ../testdata at test time with
// the Debian cross compiler; tests that need them skip when it is missing.

const crossCC = "riscv64-linux-gnu-gcc"

var (
	buildMu    sync.Mutex
	buildDir   string
	buildCache = map[string]string{}
)

// sysroot is the guest system root for dynamic programs.
func sysroot() string {
	if p := os.Getenv("GEMU_LD_PREFIX"); p != "" {
		return p
	}
	return "/usr/riscv64-linux-gnu"
}

func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not found: install gcc-riscv64-linux-gnu, libc6-dev-riscv64-cross and qemu-user to run this test", name)
	}
	return p
}

// guestProgram builds testdata/<name>.c for riscv64 in the given mode
// ("static", "dynamic" or "static-pie") and returns the binary's path.
func guestProgram(t testing.TB, name, mode string) string {
	t.Helper()
	cc := needTool(t, crossCC)
	buildMu.Lock()
	defer buildMu.Unlock()
	key := name + "." + mode
	if p, ok := buildCache[key]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "gemu-guests-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
	}
	src, err := filepath.Abs(filepath.Join("..", "testdata", name+".c"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(buildDir, key)
	args := []string{"-O1", "-o", out, src}
	switch mode {
	case "static":
		args = append(args, "-static")
	case "dynamic":
	case "static-pie":
		args = append(args, "-static-pie", "-fPIE", "-nostdlib", "-ffreestanding", "-Wl,--no-dynamic-linker")
	default:
		t.Fatalf("unknown build mode %q", mode)
	}
	cmd := exec.Command(cc, args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, b)
	}
	buildCache[key] = out
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

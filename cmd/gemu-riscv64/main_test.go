package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	o, args, err := parse([]string{"-L", "/sysroot", "-E", "A=1,B=2", "-E", "C=3", "-U", "HOME",
		"-0", "name", "-s", "1M", "-R", "4G", "-p", "16k", "-page-size", "64k", "-strace",
		"-d", "page", "-D", "/tmp/log", "prog", "-x", "arg"})
	if err != nil {
		t.Fatal(err)
	}
	if o.prefix != "/sysroot" || o.argv0 != "name" || o.stackSize != 1<<20 || o.reserved != 4<<30 ||
		o.hostPage != 16<<10 || o.guestPage != 64<<10 || !o.strace || o.debug != "page" || o.logFile != "/tmp/log" {
		t.Errorf("options %+v", o)
	}
	if !slices.Equal(o.setEnv, []string{"A=1", "B=2", "C=3"}) || !slices.Equal(o.unsetEnv, []string{"HOME"}) {
		t.Errorf("env options %q %q", o.setEnv, o.unsetEnv)
	}
	// Options stop at the program: its own flags are its arguments.
	if !slices.Equal(args, []string{"prog", "-x", "arg"}) {
		t.Errorf("args %q", args)
	}
}

func TestParseEnvironment(t *testing.T) {
	t.Setenv("GEMU_LD_PREFIX", "/from-env")
	t.Setenv("GEMU_STRACE", "")
	t.Setenv("GEMU_GUEST_PAGESIZE", "16384")
	o, _, err := parse([]string{"-L", "/from-flag", "prog"})
	if err != nil {
		t.Fatal(err)
	}
	if o.prefix != "/from-flag" || !o.strace || o.guestPage != 16384 {
		t.Errorf("options %+v", o)
	}
}

func TestGuestEnv(t *testing.T) {
	t.Setenv("GEMU_T1", "old")
	t.Setenv("GEMU_T2", "gone")
	env := guestEnv(&options{setEnv: []string{"GEMU_T1=new", "GEMU_T3=x"}, unsetEnv: []string{"GEMU_T2"}})
	has := func(kv string) bool { return slices.Contains(env, kv) }
	if !has("GEMU_T1=new") || !has("GEMU_T3=x") || has("GEMU_T1=old") || slices.ContainsFunc(env, func(s string) bool { return strings.HasPrefix(s, "GEMU_T2=") }) {
		t.Errorf("guest env: %q", env)
	}
}

func TestVersionAndHelp(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "gemu-riscv64")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-version").Output()
	if err != nil || !strings.HasPrefix(string(out), "gemu-riscv64 version") {
		t.Errorf("-version: %q, %v", out, err)
	}
	out, err = exec.Command(bin, "-h").Output()
	if err != nil || !strings.Contains(string(out), "GEMU_LD_PREFIX") {
		t.Errorf("-h: %q, %v", out, err)
	}
	cmd := exec.Command(bin, "/nonexistent/program")
	cmd.Env = os.Environ()
	if out, err := cmd.CombinedOutput(); err == nil || strings.Contains(string(out), "goroutine") {
		t.Errorf("missing program: err %v, output %q", err, out)
	}
}

// Command gemu-riscv64 runs a riscv64 Linux program on this host, with the
// command line of qemu-riscv64:
//
//	gemu-riscv64 [options] program [arguments...]
//
// Each option can also be given by an environment variable, as listed by -h.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/bits"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"gemu.dev/gemu/guestmem"
	"gemu.dev/gemu/linux"
)

const version = "0.1"

// options are the settings from the command line and the environment.
type options struct {
	prefix    string
	setEnv    []string
	unsetEnv  []string
	argv0     string
	stackSize uint64
	reserved  uint64
	hostPage  uint64
	guestPage uint64
	strace    bool
	debug     string
	logFile   string
}

// listFlag collects a repeatable option; each use may hold a
// comma-separated list, as qemu's -E and -U do.
type listFlag struct{ list *[]string }

func (l listFlag) String() string { return "" }
func (l listFlag) Set(s string) error {
	*l.list = append(*l.list, strings.Split(s, ",")...)
	return nil
}

// sizeFlag parses a size with an optional k, M or G suffix.
type sizeFlag struct{ v *uint64 }

func (s sizeFlag) String() string { return "" }
func (s sizeFlag) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	*s.v = n
	return nil
}

func parseSize(v string) (uint64, error) {
	mult := uint64(1)
	switch {
	case strings.HasSuffix(v, "k"), strings.HasSuffix(v, "K"):
		mult, v = 1<<10, v[:len(v)-1]
	case strings.HasSuffix(v, "M"):
		mult, v = 1<<20, v[:len(v)-1]
	case strings.HasSuffix(v, "G"):
		mult, v = 1<<30, v[:len(v)-1]
	}
	n, err := strconv.ParseUint(v, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("bad size %q", v)
	}
	return n * mult, nil
}

// envOptions lists each option's environment variable.
var envOptions = []struct{ flag, env, help string }{
	{"L", "GEMU_LD_PREFIX", "path: the guest system root (interpreter and absolute paths are looked up there first)"},
	{"E", "GEMU_SET_ENV", "var=value[,...]: set variables in the guest environment"},
	{"U", "GEMU_UNSET_ENV", "var[,...]: remove variables from the guest environment"},
	{"0", "GEMU_ARGV0", "argv0: the guest's argv[0] (default: the program path)"},
	{"s", "GEMU_STACK_SIZE", "size: the guest stack size (default 8M)"},
	{"R", "GEMU_RESERVED_VA", "size: the size of the guest address space (default 256G)"},
	{"p", "GEMU_PAGESIZE", "size: the host page granularity to use (default: the real host page size)"},
	{"page-size", "GEMU_GUEST_PAGESIZE", "size: the guest page size, AT_PAGESZ (default 4k)"},
	{"strace", "GEMU_STRACE", "log system calls on stderr"},
	{"d", "GEMU_LOG", "items: debug log, comma-separated: 'page' (loader and page-level decisions), 'signal' (CPU exceptions and guest signals)"},
	{"D", "GEMU_LOG_FILENAME", "file: write the debug log to file instead of stderr"},
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: gemu-riscv64 [options] program [arguments...]\n\nOptions:\n")
	for _, o := range envOptions {
		fmt.Fprintf(w, "  -%-10s %-22s %s\n", o.flag, o.env, o.help)
	}
	fmt.Fprintf(w, "  -%-10s %-22s %s\n", "version", "", "print the version and exit")
	fmt.Fprintf(w, "  -%-10s %-22s %s\n", "h", "", "print this help and exit")
}

func parse(args []string) (*options, []string, error) {
	o := &options{}
	fs := flag.NewFlagSet("gemu-riscv64", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.prefix, "L", "", "")
	fs.Var(listFlag{&o.setEnv}, "E", "")
	fs.Var(listFlag{&o.unsetEnv}, "U", "")
	fs.StringVar(&o.argv0, "0", "", "")
	fs.Var(sizeFlag{&o.stackSize}, "s", "")
	fs.Var(sizeFlag{&o.reserved}, "R", "")
	fs.Var(sizeFlag{&o.hostPage}, "p", "")
	fs.Var(sizeFlag{&o.guestPage}, "page-size", "")
	fs.BoolVar(&o.strace, "strace", false, "")
	fs.StringVar(&o.debug, "d", "", "")
	fs.StringVar(&o.logFile, "D", "", "")
	showVersion := fs.Bool("version", false, "")
	help := fs.Bool("h", false, "")
	fs.Bool("help", false, "")

	// The environment first, then the command line over it.
	for _, e := range envOptions {
		v, ok := os.LookupEnv(e.env)
		if !ok {
			continue
		}
		if e.flag == "strace" {
			v = "true"
		}
		if err := fs.Set(e.flag, v); err != nil {
			return nil, nil, fmt.Errorf("%s: %v", e.env, err)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(os.Stdout, fs)
			os.Exit(0)
		}
		return nil, nil, err
	}
	if *help || fs.Lookup("help").Value.String() == "true" {
		usage(os.Stdout, fs)
		os.Exit(0)
	}
	if *showVersion {
		fmt.Printf("gemu-riscv64 version %s\n", version)
		os.Exit(0)
	}
	if fs.NArg() == 0 {
		usage(os.Stderr, fs)
		os.Exit(1)
	}
	return o, fs.Args(), nil
}

// guestEnv is gemu's environment with -E and -U applied.
func guestEnv(o *options) []string {
	env := os.Environ()
	set := func(kv string) {
		k, _, _ := strings.Cut(kv, "=")
		for i, e := range env {
			if ek, _, _ := strings.Cut(e, "="); ek == k {
				env[i] = kv
				return
			}
		}
		env = append(env, kv)
	}
	for _, kv := range o.setEnv {
		if strings.Contains(kv, "=") {
			set(kv)
		}
	}
	for _, k := range o.unsetEnv {
		out := env[:0]
		for _, e := range env {
			if ek, _, _ := strings.Cut(e, "="); ek != k {
				out = append(out, e)
			}
		}
		env = out
	}
	return env
}

// init locks the main goroutine to the process's first thread, so that the
// guest's main thread has the host thread id equal to the pid, as on Linux.
func init() { runtime.LockOSThread() }

func main() {
	debug.SetTraceback("none")

	o, args, err := parse(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "gemu-riscv64: %v\n", err)
		os.Exit(1)
	}
	if o.prefix == "" {
		if _, err := os.Stat("/usr/riscv64-linux-gnu"); err == nil {
			o.prefix = "/usr/riscv64-linux-gnu"
		}
	}

	var logw io.Writer = os.Stderr
	logFD := -1
	if o.logFile != "" {
		fd, err := unix.Open(o.logFile, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gemu-riscv64: %s: %v\n", o.logFile, err)
			os.Exit(1)
		}
		// Keep the log out of the guest's way: move it to a high number.
		if high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 900); err == nil {
			unix.Close(fd)
			fd = high
		}
		logFD = fd
		logw = fdWriter(fd)
	}

	cfg := linux.Config{
		Path:      args[0],
		Argv:      append([]string(nil), args...),
		Env:       guestEnv(o),
		Prefix:    o.prefix,
		StackSize: o.stackSize,
		Space: guestmem.Config{
			GuestPageSize: o.guestPage,
			HostPageSize:  o.hostPage,
		},
	}
	if o.argv0 != "" {
		cfg.Argv[0] = o.argv0
	}
	// A riscv64 program the guest execs runs under a new gemu with the
	// same address-space options.
	if self, err := os.Executable(); err == nil {
		cfg.Reexec = []string{self}
		if o.prefix != "" {
			cfg.Reexec = append(cfg.Reexec, "-L", o.prefix)
		}
		for _, opt := range []struct {
			flag string
			v    uint64
		}{{"-s", o.stackSize}, {"-R", o.reserved}, {"-p", o.hostPage}, {"-page-size", o.guestPage}} {
			if opt.v != 0 {
				cfg.Reexec = append(cfg.Reexec, opt.flag, strconv.FormatUint(opt.v, 10))
			}
		}
	}
	if o.reserved != 0 {
		// The address space is a power of two: round -R up.
		if o.reserved < 1<<24 {
			fmt.Fprintf(os.Stderr, "gemu-riscv64: -R %d: the guest address space must be at least 16M\n", o.reserved)
			os.Exit(1)
		}
		cfg.Space.AddressBits = uint(bits.Len64(o.reserved - 1))
	}
	if o.strace {
		cfg.Strace = logw
	}
	for _, item := range strings.Split(o.debug, ",") {
		switch item {
		case "":
		case "page":
			cfg.PageLog = func(format string, args ...any) {
				fmt.Fprintf(logw, format+"\n", args...)
			}
		case "signal":
			cfg.SignalLog = func(format string, args ...any) {
				fmt.Fprintf(logw, format+"\n", args...)
			}
		default:
			fmt.Fprintf(os.Stderr, "gemu-riscv64: unknown -d item %q (known: page, signal)\n", item)
			os.Exit(1)
		}
	}

	p, err := linux.NewProcess(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gemu-riscv64: %v\n", err)
		os.Exit(1)
	}
	if logFD >= 0 {
		p.ReserveFD(logFD)
	}
	exit := func(st linux.ExitStatus) {
		if st.Signal != 0 {
			dieOfSignal(st.Signal)
		}
		os.Exit(st.Code)
	}
	p.SetExitHook(exit)
	p.ForwardHostSignals()
	exit(p.Run())
}

type fdWriter int

func (w fdWriter) Write(b []byte) (int, error) { return unix.Write(int(w), b) }

// dieOfSignal ends gemu with the guest's fatal signal, as qemu does: the
// signal's action is reset to the default (bypassing the Go runtime's
// handler), no core file is written, and the signal is sent to ourselves.
func dieOfSignal(sig int) {
	unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	type kernelSigaction struct {
		handler, flags, restorer uintptr
		mask                     uint64
	}
	var act kernelSigaction // SIG_DFL
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	set := uint64(1) << (sig - 1)
	unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_UNBLOCK, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0)
	unix.Tgkill(unix.Getpid(), unix.Gettid(), unix.Signal(sig))
	// Not reached for a fatal signal; a signal whose default is to be
	// ignored ends like the shell would report it.
	os.Exit(128 + sig)
}

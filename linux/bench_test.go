package linux

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkEmulatedAccess is the cost of a guest load or store that the
// host refuses but the guest may make: with 4 KiB guest pages on 16 or
// 64 KiB host pages (-p), a page that shares its host page with a
// read-only (stores) or inaccessible (loads) guest page. "fault" takes the
// whole path each time (host fault, HandleFault, Emulate, the address
// space's slow access), "mixed" the steady state where the CPU goes to the
// slow access at once, "direct" is an ordinary page. bench/emuaccess.c
// times b.N accesses itself; the figure is ns/access.
func BenchmarkEmulatedAccess(b *testing.B) {
	cc := needTool(b, crossCC)
	gemu := gemuCommand(b)
	src, _ := filepath.Abs(filepath.Join("..", "bench", "emuaccess.c"))
	bin := filepath.Join(b.TempDir(), "emuaccess")
	if out, err := exec.Command(cc, "-O2", "-static", "-o", bin, src).CombinedOutput(); err != nil {
		b.Fatalf("%s: %v\n%s", cc, err, out)
	}
	for _, h := range []string{"16384", "65536"} {
		for _, m := range []string{"store-direct", "load-direct", "store-mixed", "load-mixed", "store-fault", "load-fault"} {
			b.Run("-p"+h+"/"+m, func(b *testing.B) {
				out, err := exec.Command(gemu, "-p", h, bin, strconv.Itoa(b.N), m).Output()
				if err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
				f := strings.Fields(string(out))
				if len(f) != 2 || f[0] != "ns_per_access" {
					b.Fatalf("unexpected output %q", out)
				}
				ns, err := strconv.ParseFloat(f[1], 64)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(ns, "ns/access")
			})
		}
	}
}

package riscv

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestFPAgainstBigFloat checks add, sub, mul, div, sqrt and the fused
// multiply-add, in both formats and all five rounding modes, against
// math/big: the exact result rounded once by big.Float at the format's
// precision in the corresponding mode. The inexact flag must be set
// exactly when big.Float reports a rounded result. Operands are drawn so
// that results stay in the normal range, where big.Float's unbounded
// exponent agrees with IEEE 754; the subnormal, overflow and special cases
// have their own table in fp_test.go.
func TestFPAgainstBigFloat(t *testing.T) {
	modes := [5]big.RoundingMode{RNE: big.ToNearestEven, RTZ: big.ToZero, RDN: big.ToNegativeInf,
		RUP: big.ToPositiveInf, RMM: big.ToNearestAway}
	r := rand.New(rand.NewPCG(7, 11))
	n := 200000
	if testing.Short() {
		n = 4000
	}
	for _, f := range []*ffmt{fmt32, fmt64} {
		// random returns a value of format f with an exponent in
		// [-e, e], usually with few low bits set so that ties and exact
		// results are common.
		random := func(e int) float64 {
			m := r.Uint64()
			if r.IntN(2) == 0 {
				m &^= 1<<r.IntN(f.p) - 1
			}
			v := math.Ldexp(1+float64(m>>(64-f.p+1))/float64(uint64(1)<<(f.p-1)), r.IntN(2*e+1)-e)
			if r.IntN(2) == 0 {
				v = -v
			}
			if f.width == 32 {
				return float64(float32(v))
			}
			return v
		}
		bits := func(v float64) uint64 { return f.fromValue(v) }
		exact := func(v float64) *big.Float { return new(big.Float).SetPrec(3000).SetFloat64(v) }
		for i := range n {
			rm := uint8(i % 5)
			a, b, c := random(30), random(30), random(30)
			op := i / 5 % 6
			if op == 5 && r.IntN(2) == 0 {
				c = -a * b * (1 + float64(r.IntN(8))*0x1p-40) // cancellation
				if f.width == 32 {
					c = float64(float32(c))
				}
			}
			if op == 0 && r.IntN(3) == 0 {
				b = -a * (1 + math.Ldexp(float64(r.IntN(16)), -f.p-r.IntN(8)))
				if f.width == 32 {
					b = float64(float32(b))
				}
			}
			var got uint64
			var fl uint32
			want := new(big.Float).SetPrec(uint(f.p)).SetMode(modes[rm])
			inexact := false
			switch op {
			case 0:
				got, fl = fadd(f, bits(a), bits(b), false, rm)
				want.Set(new(big.Float).SetPrec(3000).Add(exact(a), exact(b)))
				inexact = want.Acc() != big.Exact
			case 1:
				got, fl = fadd(f, bits(a), bits(b), true, rm)
				want.Set(new(big.Float).SetPrec(3000).Sub(exact(a), exact(b)))
				inexact = want.Acc() != big.Exact
			case 2:
				got, fl = fmul(f, bits(a), bits(b), rm)
				want.Mul(exact(a), exact(b))
				inexact = want.Acc() != big.Exact
			case 3:
				got, fl = fdiv(f, bits(a), bits(b), rm)
				want.Quo(exact(a), exact(b))
				inexact = want.Acc() != big.Exact
			case 4:
				a = math.Abs(a)
				got, fl = fsqrt(f, bits(a), rm)
				// big.Float.Sqrt rounds correctly only to nearest: take
				// 200 bits, then round once more (a 200-bit value that
				// is not exact cannot sit on a 24- or 53-bit boundary).
				want.Set(new(big.Float).SetPrec(200).Sqrt(exact(a)))
				sq := new(big.Float).SetPrec(3000).Mul(want, want)
				inexact = sq.Cmp(exact(a)) != 0
			case 5:
				got, fl = ffma(f, bits(a), bits(b), bits(c), false, false, rm)
				p := new(big.Float).SetPrec(3000).Mul(exact(a), exact(b))
				want.Set(p.Add(p, exact(c)))
				inexact = want.Acc() != big.Exact
			}
			if want.Sign() == 0 {
				continue // zero signs are covered by the tables
			}
			if e := want.MantExp(nil) - 1; e < f.emin || e > f.emax {
				continue
			}
			w, _ := want.Float64()
			wantFl := uint32(0)
			if inexact {
				wantFl = FlagNX
			}
			if got != bits(w) || fl != wantFl {
				t.Fatalf("%d-bit op %d rm %d on %x %x %x: got %#x %s, want %#x %s",
					f.width, op, rm, a, b, c, got, flagString(fl), bits(w), flagString(wantFl))
			}
		}
	}
}

// TestFMAWideRange checks the 128-bit fused multiply-add against an exact
// math/big sum rounded by bigRound, over exponents that reach the
// subnormal range and overflow.
func TestFMAWideRange(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	random := func() float64 {
		var v float64
		switch r.IntN(4) {
		case 0: // subnormal
			v = math.Float64frombits(r.Uint64() & (1<<52 - 1))
		case 1:
			v = math.Ldexp(1+r.Float64(), r.IntN(2098)-1074)
		default:
			v = math.Ldexp(1+float64(r.IntN(1<<20))/(1<<20), r.IntN(1100)-550)
		}
		if r.IntN(2) == 0 {
			v = -v
		}
		return v
	}
	for i := range 100000 {
		a, b, c := random(), random(), random()
		if i%3 == 0 {
			c = -a * b // cancellation
			if math.IsInf(c, 0) || math.IsNaN(c) {
				c = random()
			}
		}
		if a == 0 || b == 0 || math.IsInf(c, 0) {
			continue
		}
		rm := uint8(i % 5)
		got, gotFl := fma128(fmt64, a, b, c, rm)
		x := new(big.Float).SetPrec(128).Mul(bigOf(a), bigOf(b))
		x = new(big.Float).SetPrec(4400).Add(x, bigOf(c))
		var want uint64
		var wantFl uint32
		if x.Sign() == 0 {
			want = zeroSum(fmt64, false, math.Signbit(a) != math.Signbit(b), c == 0, math.Signbit(c), rm)
		} else {
			want, wantFl = bigRound(fmt64, x, false, rm)
		}
		if got != want || gotFl != wantFl {
			t.Fatalf("fma(%x, %x, %x) rm %d: got %#x %s, want %#x %s", a, b, c, rm, got, flagString(gotFl), want, flagString(wantFl))
		}
	}
}

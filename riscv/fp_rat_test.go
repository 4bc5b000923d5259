package riscv

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// refRound is an independent reference for IEEE 754 rounding: it rounds
// the exact rational x (nonzero) to format f in mode rm straight from the
// definitions, with math/big, and returns the encoding and the flags
// (tininess after rounding, as RISC-V specifies).
func refRound(f *ffmt, x *big.Rat, rm uint8) (uint64, uint32) {
	neg := x.Sign() < 0
	ax := new(big.Rat).Abs(x)
	modes := [5]big.RoundingMode{big.ToNearestEven, big.ToZero, big.ToNegativeInf, big.ToPositiveInf, big.ToNearestAway}
	mode := modes[rm]
	// The rounding of the magnitude: RDN and RUP swap for negatives.
	if neg && (rm == RDN || rm == RUP) {
		mode = modes[RDN+RUP-rm]
	}
	minNorm := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), uint(-f.emin)))
	// Unbounded-exponent rounding to p bits, for tininess and the normal
	// range.
	t := new(big.Float).SetPrec(uint(f.p)).SetMode(mode).SetRat(ax)
	tiny := t.Cmp(new(big.Float).SetRat(minNorm)) < 0
	sign := f.zero(neg)
	if ax.Cmp(minNorm) >= 0 {
		e := t.MantExp(nil) - 1
		if e > f.emax {
			// Magnitude rounded down: the largest finite; else infinity.
			b := uint64(1)<<(f.width-1) - 1<<(f.p-1) // infinity
			if mode == big.ToZero || mode == big.ToNegativeInf {
				b--
			}
			return sign | b, FlagOF | FlagNX
		}
		v, _ := t.Float64()
		var b uint64
		if f.width == 32 {
			b = uint64(math.Float32bits(float32(v)))
		} else {
			b = math.Float64bits(v)
		}
		if t.Acc() != big.Exact {
			return sign | b, FlagNX
		}
		return sign | b, 0
	}
	// Subnormal range: round ax / 2^(emin-p+1) to an integer.
	shift := uint(-(f.emin - f.p + 1))
	y := new(big.Rat).Mul(ax, new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), shift)))
	n := new(big.Int).Quo(y.Num(), y.Denom())
	rem := new(big.Rat).Sub(y, new(big.Rat).SetInt(n))
	inexact := rem.Sign() != 0
	half := rem.Cmp(big.NewRat(1, 2))
	up := false
	switch mode {
	case big.ToNearestEven:
		up = half > 0 || half == 0 && n.Bit(0) == 1
	case big.ToNearestAway:
		up = half >= 0
	case big.ToPositiveInf:
		up = inexact
	}
	if up {
		n.Add(n, big.NewInt(1))
	}
	var fl uint32
	if inexact {
		fl = FlagNX
		if tiny {
			fl |= FlagUF
		}
	}
	return sign | n.Uint64(), fl
}

// TestFPAgainstRationals checks add, mul, div and fma over the whole
// exponent range (subnormal results, overflow, cancellation) against
// refRound applied to the exact rational result.
func TestFPAgainstRationals(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 19))
	n := 60000
	if testing.Short() {
		n = 6000
	}
	for _, f := range []*ffmt{fmt32, fmt64} {
		emin, emax := f.emin-f.p+1, f.emax
		random := func() float64 {
			var v float64
			switch r.IntN(3) {
			case 0:
				v = math.Ldexp(float64(r.IntN(1<<20)+1), emin+r.IntN(40)) // small, maybe subnormal
			case 1:
				v = math.Ldexp(1+r.Float64(), emax-r.IntN(40)) // large
			default:
				v = math.Ldexp(1+r.Float64(), r.IntN(emax-emin)+emin)
			}
			if f.width == 32 {
				v = float64(float32(v))
			}
			if math.IsInf(v, 0) {
				v = math.MaxFloat32
			}
			if r.IntN(2) == 0 {
				v = -v
			}
			return v
		}
		rat := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
		for i := range n {
			a, b, c := random(), random(), random()
			rm := uint8(i % 5)
			op := i / 5 % 4
			var exact *big.Rat
			var got uint64
			var fl uint32
			switch op {
			case 0:
				if i%3 == 0 {
					b = -a * (1 + math.Ldexp(float64(r.IntN(64)), -f.p))
					if f.width == 32 {
						b = float64(float32(b))
					}
				}
				got, fl = fadd(f, f.fromValue(a), f.fromValue(b), false, rm)
				exact = new(big.Rat).Add(rat(a), rat(b))
			case 1:
				got, fl = fmul(f, f.fromValue(a), f.fromValue(b), rm)
				exact = new(big.Rat).Mul(rat(a), rat(b))
			case 2:
				got, fl = fdiv(f, f.fromValue(a), f.fromValue(b), rm)
				exact = new(big.Rat).Quo(rat(a), rat(b))
			case 3:
				if i%2 == 0 {
					c = -a * b
					if f.width == 32 {
						c = float64(float32(c))
					}
					if math.IsInf(c, 0) || c == 0 {
						c = random()
					}
				}
				got, fl = ffma(f, f.fromValue(a), f.fromValue(b), f.fromValue(c), false, false, rm)
				exact = new(big.Rat).Add(new(big.Rat).Mul(rat(a), rat(b)), rat(c))
			}
			if exact.Sign() == 0 {
				continue
			}
			want, wantFl := refRound(f, exact, rm)
			if got != want || fl != wantFl {
				t.Fatalf("%d-bit op %d rm %d on %x %x %x: got %#x %s, want %#x %s",
					f.width, op, rm, a, b, c, got, flagString(fl), want, flagString(wantFl))
			}
		}
	}
}

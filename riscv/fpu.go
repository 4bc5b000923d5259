package riscv

// IEEE 754 arithmetic for the F and D extensions, exact in every rounding
// mode and with exact exception flags.
//
// Method. Every operation first settles NaNs, infinities and zeros. For
// the rest it computes hi, the host's float64 result (round to nearest
// even), and the sign of the residual err = exact - hi, obtained exactly
// with the classic error-free transformations (TwoSum for addition, one
// math.FMA for the residual of a product, a quotient or a square root).
// hi and sign(err) describe the exact result well enough to round it once,
// in any mode, to float64 or float32: see roundHiErr. Where those
// transformations are not exact (float64 results that overflow or come
// within 2^-960 of zero), products and double-precision fused
// multiply-adds are computed exactly in 128-bit integer arithmetic
// (fma128), and quotients and overflowing sums with math/big; all are
// rounded by the same round function. No result is ever rounded twice.
//
// Tininess is detected after rounding, as the RISC-V spec requires.

import (
	"math"
	"math/big"
	"math/bits"
)

type ffmt struct {
	p     int // precision, including the hidden bit
	emin  int // exponent of the smallest normal
	emax  int // exponent of the largest finite
	width int // 32 or 64
}

var (
	fmt32 = &ffmt{p: 24, emin: -126, emax: 127, width: 32}
	fmt64 = &ffmt{p: 53, emin: -1022, emax: 1023, width: 64}
)

const (
	canonNaN32 = 0x7fc00000
	canonNaN64 = 0x7ff8000000000000
)

func (f *ffmt) signBit() uint64 { return 1 << (f.width - 1) }

func (f *ffmt) inf(neg bool) uint64 {
	v := uint64(1)<<(f.width-1) - 1<<(f.p-1) // exponent all ones
	if neg {
		v |= f.signBit()
	}
	return v
}

func (f *ffmt) maxFinite(neg bool) uint64 {
	return f.inf(neg) - 1
}

func (f *ffmt) zero(neg bool) uint64 {
	if neg {
		return f.signBit()
	}
	return 0
}

func (f *ffmt) canonNaN() uint64 {
	if f.width == 32 {
		return canonNaN32
	}
	return canonNaN64
}

// isNaN and isSNaN look at the raw bits (a float64 conversion would quiet
// a signalling NaN).
func (f *ffmt) isNaN(b uint64) bool {
	if f.width == 32 {
		return b&0x7fffffff > 0x7f800000
	}
	return b&(1<<63-1) > 0x7ff0000000000000
}

func (f *ffmt) isSNaN(b uint64) bool {
	if f.width == 32 {
		return b&0x7fffffff > 0x7f800000 && b&(1<<22) == 0
	}
	return b&(1<<63-1) > 0x7ff0000000000000 && b&(1<<51) == 0
}

// value converts non-NaN bits of format f to float64 (exactly).
func (f *ffmt) value(b uint64) float64 {
	if f.width == 32 {
		return float64(math.Float32frombits(uint32(b)))
	}
	return math.Float64frombits(b)
}

// fromValue encodes a float64 that is exactly representable in f.
func (f *ffmt) fromValue(v float64) uint64 {
	if f.width == 32 {
		return uint64(math.Float32bits(float32(v)))
	}
	return math.Float64bits(v)
}

// rnd drops the low drop bits of sig (plus a sticky fraction below them)
// and rounds the rest per rm for a number of sign neg.
func rnd(sig uint64, drop int, sticky, neg bool, rm uint8) (kept uint64, inexact bool) {
	cmp := -1 // discarded part vs one half unit: -1 below, 0 equal, 1 above
	if drop > 64 {
		kept, inexact = 0, sig != 0 || sticky
	} else {
		kept = sig >> drop
		rem := sig & (uint64(1)<<drop - 1)
		half := uint64(1) << (drop - 1)
		inexact = rem != 0 || sticky
		switch {
		case rem > half || rem == half && sticky:
			cmp = 1
		case rem == half:
			cmp = 0
		}
	}
	if !inexact {
		return kept, false
	}
	up := false
	switch rm {
	case RNE:
		up = cmp > 0 || cmp == 0 && kept&1 == 1
	case RMM:
		up = cmp >= 0
	case RDN:
		up = neg
	case RUP:
		up = !neg
	}
	if up {
		kept++
	}
	return kept, true
}

// round returns the encoding in f of (-1)^neg * (sig + d) * 2^exp, rounded
// per rm, where d is 0 if !sticky and some value strictly between 0 and 1
// otherwise, and the exception flags. Preconditions: sig != 0; if sticky,
// sig has at least p+2 significant bits or the rounding point lies at
// least two bits above its lowest bit.
func round(f *ffmt, neg bool, sig uint64, exp int, sticky bool, rm uint8) (uint64, uint32) {
	lz := bits.LeadingZeros64(sig)
	sig <<= lz
	exp -= lz
	e := exp + 63 // sig is now 1.xxx * 2^e
	sign := f.zero(neg)
	mantMask := uint64(1)<<(f.p-1) - 1
	if e >= f.emin {
		kept, inexact := rnd(sig, 64-f.p, sticky, neg, rm)
		if kept == 1<<f.p {
			kept >>= 1
			e++
		}
		if e > f.emax {
			return overflow(f, neg, rm), FlagOF | FlagNX
		}
		r := sign | uint64(e+f.emax)<<(f.p-1) | kept&mantMask
		if inexact {
			return r, FlagNX
		}
		return r, 0
	}
	// Below the normal range: round at the fixed subnormal position.
	kept, inexact := rnd(sig, 64-f.p+(f.emin-e), sticky, neg, rm)
	if !inexact {
		return sign | kept, 0
	}
	// Tininess after rounding: would rounding to p bits with an unbounded
	// exponent still give a result below 2^emin?
	tiny := true
	if e == f.emin-1 {
		if k2, _ := rnd(sig, 64-f.p, sticky, neg, rm); k2 == 1<<f.p {
			tiny = false
		}
	}
	fl := uint32(FlagNX)
	if tiny {
		fl |= FlagUF
	}
	return sign | kept, fl // kept == 1<<(p-1) encodes the smallest normal
}

func overflow(f *ffmt, neg bool, rm uint8) uint64 {
	switch rm {
	case RTZ:
		return f.maxFinite(neg)
	case RDN:
		if neg {
			return f.inf(true)
		}
		return f.maxFinite(false)
	case RUP:
		if neg {
			return f.maxFinite(true)
		}
		return f.inf(false)
	}
	return f.inf(neg)
}

// unpack64 splits a finite nonzero float64 into sign, integer significand
// and exponent: |v| = sig * 2^exp.
func unpack64(v float64) (neg bool, sig uint64, exp int) {
	b := math.Float64bits(v)
	neg = b>>63 != 0
	e := int(b >> 52 & 0x7ff)
	sig = b & (1<<52 - 1)
	if e == 0 {
		return neg, sig, -1074
	}
	return neg, sig | 1<<52, e - 1075
}

// roundHiErr rounds the exact value (hi + err) * 2^scale to f, where hi is
// a finite nonzero float64 (the round-to-nearest result of the operation)
// and |err| is at most half an ulp of hi. If errExact, err is the exact
// residual; otherwise only its sign is meaningful, which is enough when
// the exact value cannot be a midpoint (quotients and square roots never
// are).
func roundHiErr(f *ffmt, hi, err float64, errExact bool, scale int, rm uint8) (uint64, uint32) {
	// Fast paths: hi is already the answer when it is a normal double
	// and either exact or rounded to nearest as asked; an exact double
	// converts to the nearest single by one correct host rounding.
	if scale == 0 && (rm == RNE || err == 0) {
		if f.width == 64 {
			// (At exactly 2^-1022 an inexact result may be tiny.)
			if a := math.Abs(hi); (a > 0x1p-1022 || a == 0x1p-1022 && err == 0) && a <= math.MaxFloat64 {
				if err != 0 {
					return math.Float64bits(hi), FlagNX
				}
				return math.Float64bits(hi), 0
			}
		} else if err == 0 && rm == RNE {
			r := float32(hi)
			if math.Abs(hi) >= 0x1p-126 && math.Abs(float64(r)) <= math.MaxFloat32 {
				if float64(r) != hi {
					return uint64(math.Float32bits(r)), FlagNX
				}
				return uint64(math.Float32bits(r)), 0
			}
		}
	}
	neg, sig, exp := unpack64(hi)
	// Work in quarter ulps of hi: exact = (sig*4 + e) * 2^(exp-2), where
	// e is an integer in [-2, 2] or lies strictly between two of them.
	sig <<= 2
	exp -= 2
	sticky := false
	if err != 0 {
		smaller := (err < 0) != neg // |exact| < |hi|
		// An exact residual of one or two quarter ulps (a midpoint when
		// two) is kept exactly; anything else lies strictly between
		// quarter-ulp points and only its direction matters.
		k := uint64(0)
		if errExact {
			switch q, e := math.Ldexp(1, exp), math.Abs(err); e {
			case q:
				k = 1
			case 2 * q:
				k = 2
			}
		}
		switch {
		case k != 0 && smaller:
			sig -= k
		case k != 0:
			sig += k
		default:
			sticky = true
			if smaller {
				sig--
			}
		}
	}
	return round(f, neg, sig, exp+scale, sticky, rm)
}

func signOf(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// twoSumErr returns the exact error of s = fl(a+b) (no overflow).
func twoSumErr(a, b, s float64) float64 {
	bb := s - a
	return (a - (s - bb)) + (b - bb)
}

// bigRound rounds a finite nonzero big.Float to f; sticky says the true
// magnitude is slightly above |x| (x was truncated).
func bigRound(f *ffmt, x *big.Float, sticky bool, rm uint8) (uint64, uint32) {
	neg := x.Signbit()
	m := new(big.Float)
	exp := x.MantExp(m)
	m.SetMantExp(m, 64)
	m.Abs(m)
	u, acc := m.Uint64()
	return round(f, neg, u, exp-64, sticky || acc != big.Exact, rm)
}

func bigOf(v float64) *big.Float { return new(big.Float).SetFloat64(v) }

// zeroSum is the sign rule for an exact zero sum x+y: the common sign if
// both are zeros of the same sign, else +0 (-0 when rounding down).
func zeroSum(f *ffmt, xZero, xNeg, yZero, yNeg bool, rm uint8) uint64 {
	if xZero && yZero && xNeg == yNeg {
		return f.zero(xNeg)
	}
	return f.zero(rm == RDN)
}

// nanCheck settles NaN operands: it reports whether any of the given
// operands is a NaN, and the flags (NV if one is signalling).
func nanCheck(f *ffmt, ops ...uint64) (isNaN bool, fl uint32) {
	for _, b := range ops {
		if f.isNaN(b) {
			isNaN = true
			if f.isSNaN(b) {
				fl = FlagNV
			}
		}
	}
	return
}

// nanCheck2 is nanCheck for two operands, without the slice.
func nanCheck2(f *ffmt, a, b uint64) (isNaN bool, fl uint32) {
	an, bn := f.isNaN(a), f.isNaN(b)
	if !an && !bn {
		return false, 0
	}
	if an && f.isSNaN(a) || bn && f.isSNaN(b) {
		return true, FlagNV
	}
	return true, 0
}

// fadd computes a+b (or a-b if sub) in format f.
func fadd(f *ffmt, ab, bb uint64, sub bool, rm uint8) (uint64, uint32) {
	if n, fl := nanCheck2(f, ab, bb); n {
		return f.canonNaN(), fl
	}
	a, b := f.value(ab), f.value(bb)
	if sub {
		b = -b
	}
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		if math.IsInf(a, 0) && math.IsInf(b, 0) && (a > 0) != (b > 0) {
			return f.canonNaN(), FlagNV
		}
		if math.IsInf(a, 0) {
			return f.inf(a < 0), 0
		}
		return f.inf(b < 0), 0
	}
	s := a + b
	if s == 0 {
		return zeroSum(f, a == 0, math.Signbit(a), b == 0, math.Signbit(b), rm), 0
	}
	if math.IsInf(s, 0) { // float64 overflow: exact sum in math/big
		x := new(big.Float).SetPrec(2200).Add(bigOf(a), bigOf(b))
		return bigRound(f, x, false, rm)
	}
	return roundHiErr(f, s, twoSumErr(a, b, s), true, 0, rm)
}

const tinyLimit = 0x1p-960

// fmul computes a*b in format f.
func fmul(f *ffmt, ab, bb uint64, rm uint8) (uint64, uint32) {
	if n, fl := nanCheck2(f, ab, bb); n {
		return f.canonNaN(), fl
	}
	a, b := f.value(ab), f.value(bb)
	neg := math.Signbit(a) != math.Signbit(b)
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		if a == 0 || b == 0 {
			return f.canonNaN(), FlagNV
		}
		return f.inf(neg), 0
	}
	if a == 0 || b == 0 {
		return f.zero(neg), 0
	}
	p := a * b
	if math.IsInf(p, 0) || math.Abs(p) < tinyLimit {
		return fma128(f, a, b, 0, rm) // exact product, rounded once
	}
	return roundHiErr(f, p, math.FMA(a, b, -p), true, 0, rm)
}

// fdiv computes a/b in format f.
func fdiv(f *ffmt, ab, bb uint64, rm uint8) (uint64, uint32) {
	if n, fl := nanCheck2(f, ab, bb); n {
		return f.canonNaN(), fl
	}
	a, b := f.value(ab), f.value(bb)
	neg := math.Signbit(a) != math.Signbit(b)
	switch {
	case math.IsInf(a, 0) && math.IsInf(b, 0), a == 0 && b == 0:
		return f.canonNaN(), FlagNV
	case math.IsInf(a, 0):
		return f.inf(neg), 0
	case math.IsInf(b, 0), a == 0:
		return f.zero(neg), 0
	case b == 0:
		return f.inf(neg), FlagDZ
	}
	q := a / b
	if math.IsInf(q, 0) || math.Abs(q) < tinyLimit || math.Abs(a) < tinyLimit {
		x := new(big.Float).SetPrec(128).SetMode(big.ToZero)
		x.Quo(bigOf(a), bigOf(b))
		return bigRound(f, x, x.Acc() != big.Exact, rm)
	}
	r := math.FMA(-q, b, a) // a - q*b, exact
	return roundHiErr(f, q, float64(signOf(r)*signOf(b)), false, 0, rm)
}

// fsqrt computes the square root of a in format f.
func fsqrt(f *ffmt, ab uint64, rm uint8) (uint64, uint32) {
	if n, fl := nanCheck(f, ab); n {
		return f.canonNaN(), fl
	}
	a := f.value(ab)
	switch {
	case a == 0:
		return ab, 0
	case a < 0:
		return f.canonNaN(), FlagNV
	case math.IsInf(a, 1):
		return ab, 0
	}
	scale := 0
	if a < 0x1p-900 { // keep the residual clear of the subnormal range
		a *= 0x1p256
		scale = -128
	}
	r := math.Sqrt(a)
	return roundHiErr(f, r, math.FMA(-r, r, a), false, scale, rm)
}

// ffma computes (±a*b) ± c in format f with a single rounding.
func ffma(f *ffmt, ab, bb, cb uint64, negProd, negC bool, rm uint8) (uint64, uint32) {
	_, fl := nanCheck(f, ab, bb, cb)
	aInf, bInf := !f.isNaN(ab) && math.IsInf(f.value(ab), 0), !f.isNaN(bb) && math.IsInf(f.value(bb), 0)
	aZero, bZero := !f.isNaN(ab) && f.value(ab) == 0, !f.isNaN(bb) && f.value(bb) == 0
	if aInf && bZero || aZero && bInf {
		return f.canonNaN(), FlagNV
	}
	if n, _ := nanCheck(f, ab, bb, cb); n {
		return f.canonNaN(), fl
	}
	a, b, c := f.value(ab), f.value(bb), f.value(cb)
	if negProd {
		a = -a
	}
	if negC {
		c = -c
	}
	pNeg := math.Signbit(a) != math.Signbit(b)
	if aInf || bInf {
		if math.IsInf(c, 0) && (c < 0) != pNeg {
			return f.canonNaN(), FlagNV
		}
		return f.inf(pNeg), 0
	}
	if math.IsInf(c, 0) {
		return f.inf(c < 0), 0
	}
	if a == 0 || b == 0 {
		if c == 0 {
			return zeroSum(f, true, pNeg, true, math.Signbit(c), rm), 0
		}
		return f.fromValue(c), 0
	}
	if f.width == 32 {
		// The product of two singles is exact in float64: an addition.
		p := a * b
		s := p + c
		if s == 0 {
			return zeroSum(f, false, pNeg, c == 0, math.Signbit(c), rm), 0
		}
		return roundHiErr(f, s, twoSumErr(p, c, s), true, 0, rm)
	}
	return fma128(f, a, b, c, rm)
}

// fma128 computes a*b+c exactly in 128-bit integer arithmetic and rounds
// it once. a and b are finite and nonzero, c is finite.
func fma128(f *ffmt, a, b, c float64, rm uint8) (uint64, uint32) {
	an, am, ae := unpack64(a)
	bn, bm, be := unpack64(b)
	pNeg := an != bn
	ph, pl := bits.Mul64(am, bm) // product = (ph:pl) * 2^(ae+be)
	pe := ae + be
	if c == 0 {
		return round128(f, pNeg, ph, pl, pe, false, rm)
	}
	cn, cm, ce := unpack64(c)
	// Put each operand in 128 bits with its leading one at bit 125.
	x := norm128{neg: pNeg, hi: ph, lo: pl, exp: pe}
	y := norm128{neg: cn, hi: 0, lo: cm, exp: ce}
	x.normalize()
	y.normalize()
	if y.exp > x.exp { // x has the larger leading-bit position
		x, y = y, x
	}
	// Align y to x's exponent; shifted-out bits become sticky.
	sticky := y.shiftRight(uint(x.exp - y.exp))
	var hi, lo uint64
	neg := x.neg
	if x.neg == y.neg {
		var carry uint64
		lo, carry = bits.Add64(x.lo, y.lo, 0)
		hi, _ = bits.Add64(x.hi, y.hi, carry)
	} else {
		if y.hi > x.hi || y.hi == x.hi && y.lo > x.lo { // only if !sticky
			x, y = y, x
			neg = x.neg
		}
		var borrow uint64
		lo, borrow = bits.Sub64(x.lo, y.lo, 0)
		hi, _ = bits.Sub64(x.hi, y.hi, borrow)
		if sticky { // x - (y + d) = (x - y - 1) + (1 - d)
			lo, borrow = bits.Sub64(lo, 1, 0)
			hi -= borrow
		}
	}
	if hi == 0 && lo == 0 && !sticky {
		return zeroSum(f, false, pNeg, false, cn, rm), 0
	}
	return round128(f, neg, hi, lo, x.exp, sticky, rm)
}

// norm128 is (-1)^neg * (hi:lo) * 2^exp.
type norm128 struct {
	neg    bool
	hi, lo uint64
	exp    int
}

// normalize shifts the value so that its leading one is at bit 125,
// leaving headroom for an addition.
func (n *norm128) normalize() {
	lz := bits.LeadingZeros64(n.hi)
	if n.hi == 0 {
		lz = 64 + bits.LeadingZeros64(n.lo)
	}
	s := lz - 2
	switch {
	case s >= 64:
		n.hi, n.lo = n.lo<<(s-64), 0
	case s > 0:
		n.hi, n.lo = n.hi<<s|n.lo>>(64-s), n.lo<<s
	}
	n.exp -= s
}

// shiftRight shifts right by k bits and reports whether nonzero bits fell
// off.
func (n *norm128) shiftRight(k uint) (sticky bool) {
	switch {
	case k == 0:
		return false
	case k >= 128:
		sticky = n.hi != 0 || n.lo != 0
		n.hi, n.lo = 0, 0
	case k >= 64:
		sticky = n.lo != 0 || n.hi&(1<<(k-64)-1) != 0
		n.hi, n.lo = 0, n.hi>>(k-64)
	default:
		sticky = n.lo&(1<<k-1) != 0
		n.hi, n.lo = n.hi>>k, n.lo>>k|n.hi<<(64-k)
	}
	n.exp += int(k)
	return sticky
}

// round128 rounds (-1)^neg * ((hi:lo) + d) * 2^exp, d in (0,1) iff sticky,
// keeping the top 64 significant bits and folding the rest into sticky.
func round128(f *ffmt, neg bool, hi, lo uint64, exp int, sticky bool, rm uint8) (uint64, uint32) {
	if hi == 0 {
		return round(f, neg, lo, exp, sticky, rm)
	}
	lz := uint(bits.LeadingZeros64(hi))
	top := hi<<lz | lo>>(64-lz)
	if lz == 0 {
		top = hi
	}
	rest := lo << lz
	return round(f, neg, top, exp+64-int(lz), sticky || rest != 0, rm)
}

// fminmax implements FMIN/FMAX (IEEE 754-2019 minimumNumber and
// maximumNumber): a NaN operand yields the other operand, two NaNs the
// canonical NaN, any signalling NaN raises NV, and -0 < +0.
func fminmax(f *ffmt, ab, bb uint64, isMax bool) (uint64, uint32) {
	_, fl := nanCheck(f, ab, bb)
	an, bn := f.isNaN(ab), f.isNaN(bb)
	switch {
	case an && bn:
		return f.canonNaN(), fl
	case an:
		return bb, fl
	case bn:
		return ab, fl
	}
	a, b := f.value(ab), f.value(bb)
	if a == b { // equal values, possibly zeros of different signs
		aNeg := ab&f.signBit() != 0
		if aNeg == isMax {
			return bb, 0
		}
		return ab, 0
	}
	if (a < b) != isMax {
		return ab, 0
	}
	return bb, 0
}

// fcmp implements FEQ (quiet), FLT and FLE (signalling).
func fcmp(f *ffmt, ab, bb uint64, op Op) (uint64, uint32) {
	if an, bn := f.isNaN(ab), f.isNaN(bb); an || bn {
		if op == FEQ_S || op == FEQ_D {
			_, fl := nanCheck(f, ab, bb)
			return 0, fl
		}
		return 0, FlagNV
	}
	a, b := f.value(ab), f.value(bb)
	var r bool
	switch op {
	case FEQ_S, FEQ_D:
		r = a == b
	case FLT_S, FLT_D:
		r = a < b
	default:
		r = a <= b
	}
	return b2u(r), 0
}

// fclass returns the FCLASS mask of bits b.
func fclass(f *ffmt, b uint64) uint64 {
	neg := b&f.signBit() != 0
	e := b >> (f.p - 1) & (1<<(f.width-f.p) - 1)
	m := b & (1<<(f.p-1) - 1)
	expMax := uint64(1)<<(f.width-f.p) - 1
	var i uint
	switch {
	case e == expMax && m != 0:
		if f.isSNaN(b) {
			return 1 << 8
		}
		return 1 << 9
	case e == expMax:
		i = 7
	case e == 0 && m == 0:
		i = 4
	case e == 0:
		i = 5
	default:
		i = 6
	}
	if neg {
		i = 7 - i
	}
	return 1 << i
}

// roundToInt rounds a float64 to an integral float64 per rm.
func roundToInt(x float64, rm uint8) float64 {
	switch rm {
	case RTZ:
		return math.Trunc(x)
	case RDN:
		return math.Floor(x)
	case RUP:
		return math.Ceil(x)
	case RMM:
		return math.Round(x)
	}
	return math.RoundToEven(x)
}

// Integer kinds of the conversions.
const (
	intW = iota
	intWU
	intL
	intLU
)

// fcvtToInt converts bits b of format f to an integer of the given kind,
// saturating: NaN and +inf give the maximum, -inf the minimum, with NV;
// 32-bit results are sign-extended to 64 bits.
func fcvtToInt(f *ffmt, b uint64, kind int, rm uint8) (uint64, uint32) {
	maxOf := [4]uint64{0x7fffffff, 0xffffffffffffffff, 1<<63 - 1, 0xffffffffffffffff}
	minOf := [4]uint64{0xffffffff80000000, 0, 1 << 63, 0}
	if f.isNaN(b) {
		return maxOf[kind], FlagNV
	}
	x := f.value(b)
	r := roundToInt(x, rm)
	var v uint64
	switch kind {
	case intW:
		if r > math.MaxInt32 {
			return maxOf[kind], FlagNV
		}
		if r < math.MinInt32 {
			return minOf[kind], FlagNV
		}
		v = uint64(int64(r))
	case intWU:
		if r > math.MaxUint32 {
			return maxOf[kind], FlagNV
		}
		if r < 0 {
			return 0, FlagNV
		}
		v = sx32(uint64(uint32(r)))
	case intL:
		if r >= 0x1p63 {
			return maxOf[kind], FlagNV
		}
		if r < -0x1p63 {
			return minOf[kind], FlagNV
		}
		v = uint64(int64(r))
	case intLU:
		if r >= 0x1p64 {
			return maxOf[kind], FlagNV
		}
		if r < 0 {
			return 0, FlagNV
		}
		v = uint64(r)
	}
	if r != x {
		return v, FlagNX
	}
	return v, 0
}

// fcvtFromInt converts the integer (-1)^neg * mag to format f.
func fcvtFromInt(f *ffmt, mag uint64, neg bool, rm uint8) (uint64, uint32) {
	if mag == 0 {
		return 0, 0
	}
	return round(f, neg, mag, 0, false, rm)
}

// fcvtFormat converts between single and double.
func fcvtFormat(to, from *ffmt, b uint64, rm uint8) (uint64, uint32) {
	if n, fl := nanCheck(from, b); n {
		return to.canonNaN(), fl
	}
	x := from.value(b)
	if x == 0 || math.IsInf(x, 0) {
		if to.width == 32 {
			return uint64(math.Float32bits(float32(x))), 0
		}
		return math.Float64bits(x), 0
	}
	neg, sig, exp := unpack64(x)
	return round(to, neg, sig, exp, false, rm)
}

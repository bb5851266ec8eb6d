package train

import (
	"math"
	"math/big"
)

// piDigits is π to 110 significant digits.
const piDigits = "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798214808651"

// cosine returns cos(x) correctly rounded, as glibc's cos (which PyTorch's
// schedules call through Python's math.cos) returns it; Go's math.Cos may
// be an ulp off, and schedules compound such ulps. Schedules call it once
// per step, so a big.Float Taylor series is cheap enough.
func cosine(x float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return math.NaN()
	}
	const prec = 256
	pi, _, _ := big.ParseFloat(piDigits, 10, prec, big.ToNearestEven)
	twoPi := new(big.Float).SetPrec(prec).Mul(pi, big.NewFloat(2))
	r := new(big.Float).SetPrec(prec).SetFloat64(x)
	// r -= round(x/2π)·2π, leaving |r| ≤ π.
	q := new(big.Float).SetPrec(prec).Quo(r, twoPi)
	qf, _ := q.Float64()
	k := new(big.Float).SetPrec(prec).SetFloat64(math.Round(qf))
	r.Sub(r, k.Mul(k, twoPi))
	r2 := new(big.Float).SetPrec(prec).Mul(r, r)
	sum := new(big.Float).SetPrec(prec).SetFloat64(1)
	term := new(big.Float).SetPrec(prec).SetFloat64(1)
	eps := new(big.Float).SetMantExp(big.NewFloat(1), -prec)
	for n := 1; n < 200; n++ {
		term.Mul(term, r2)
		term.Quo(term, big.NewFloat(float64((2*n-1)*(2*n))))
		term.Neg(term)
		sum.Add(sum, term)
		if new(big.Float).Abs(term).Cmp(eps) < 0 {
			break
		}
	}
	f, _ := sum.Float64()
	return f
}

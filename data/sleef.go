package data

import "math"

// expf is PyTorch's float32 exp on x86 CPUs with AVX2 (Sleef_expf8_u10):
// a degree-6 polynomial after a two-step Cody–Waite reduction, each
// multiply-add fused. It is within 1 ulp of the true value but is not
// correctly rounded, and torch.exp's last bit decides some of
// RandomResizedCrop's boxes.
func expf(d float32) float32 {
	const (
		rln2 = 1.442695040888963407359924681001892137426645954152985934135449406931
		l2u  = 0.693145751953125
		l2l  = 1.428606765330187045e-06
	)
	if d < -104 {
		return 0
	}
	if d > 100 {
		return float32(math.Inf(1))
	}
	q := float32(math.RoundToEven(float64(d * rln2)))
	s := fmaf(q, -l2u, d)
	s = fmaf(q, -l2l, s)
	u := float32(0.000198527617612853646278381)
	u = fmaf(u, s, 0.00139304355252534151077271)
	u = fmaf(u, s, 0.00833336077630519866943359)
	u = fmaf(u, s, 0.0416664853692054748535156)
	u = fmaf(u, s, 0.166666671633720397949219)
	u = fmaf(u, s, 0.5)
	u = 1 + fmaf(s*s, u, s)
	return float32(math.Ldexp(float64(u), int(q)))
}

// fmaf is a float32 fused multiply-add: the product of two float32 is exact
// in float64, so only the sum is rounded (twice, which can differ from one
// rounding in rare ties; none occur in the fixtures).
func fmaf(a, b, c float32) float32 {
	return float32(math.FMA(float64(a), float64(b), float64(c)))
}

package nn

import (
	"math"
	"math/rand/v2"
)

// KaimingNormalFanOut fills a conv weight (Out, In/G, KH, KW) from
// N(0, 2/fan_out) with fan_out = Out·KH·KW, torchvision's ResNet init
// (kaiming_normal_, mode="fan_out", nonlinearity="relu").
func KaimingNormalFanOut(p *Parameter, rng *rand.Rand) {
	s := p.Value.Shape
	fanOut := s[0]
	for _, d := range s[2:] {
		fanOut *= d
	}
	std := math.Sqrt(2 / float64(fanOut))
	for i := range p.Value.Data {
		p.Value.Data[i] = float32(rng.NormFloat64() * std)
	}
}

// InitLinearDefault gives a Linear PyTorch's default init: weight and bias
// uniform in ±1/√in_features (kaiming_uniform_ with a=√5 reduces to this).
func InitLinearDefault(l *Linear, rng *rand.Rand) {
	bound := 1 / math.Sqrt(float64(l.InFeatures()))
	for _, p := range []*Parameter{l.Weight, l.Bias} {
		if p == nil {
			continue
		}
		for i := range p.Value.Data {
			p.Value.Data[i] = float32((2*rng.Float64() - 1) * bound)
		}
	}
}

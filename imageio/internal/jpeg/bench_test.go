package jpeg

import (
	"math/rand"
	"testing"
)

func BenchmarkIDCT(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	var q [64]int32
	for i := range q {
		q[i] = 1 + int32(rng.Intn(8))
	}
	blocks := make([][64]int16, 256)
	for i := range blocks {
		blocks[i][0] = int16(rng.Intn(200) - 100)
		for range 6 {
			blocks[i][zigzag[1+rng.Intn(20)]] = int16(rng.Intn(41) - 20)
		}
	}
	dst := make([]uint8, 64)
	for b.Loop() {
		for i := range blocks {
			idctBlock(dst, 8, &blocks[i], &q)
		}
	}
}

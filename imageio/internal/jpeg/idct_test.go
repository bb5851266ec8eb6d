package jpeg

import (
	"errors"
	"io"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// The ISLOW IDCT must stay within one level of the exact float IDCT on
// ordinary blocks, and the DC shortcut must equal the full transform.
func TestIDCTAgainstFloat(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var q [64]int32
	for i := range q {
		q[i] = 1 + int32(rng.Intn(8))
	}
	for trial := range 2000 {
		var coef [64]int16
		n := 1 + rng.Intn(12)
		if trial%4 == 0 {
			n = 0 // DC only
		}
		coef[0] = int16(rng.Intn(200) - 100)
		for range n {
			coef[rng.Intn(64)] = int16(rng.Intn(41) - 20)
		}
		var got [64]uint8
		idctBlock(got[:], 8, &coef, &q)
		for y := range 8 {
			for x := range 8 {
				s := 0.0
				for v := range 8 {
					for u := range 8 {
						cu, cv := 1.0, 1.0
						if u == 0 {
							cu = math.Sqrt(0.5)
						}
						if v == 0 {
							cv = math.Sqrt(0.5)
						}
						s += cu * cv * float64(int32(coef[8*v+u])*q[8*v+u]) *
							math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) * math.Cos(float64(2*y+1)*float64(v)*math.Pi/16)
					}
				}
				want := math.Max(0, math.Min(255, math.Round(s/4+128)))
				if d := math.Abs(float64(got[8*y+x]) - want); d > 1 {
					t.Fatalf("trial %d (%d,%d): ISLOW %d, float %.0f", trial, x, y, got[8*y+x], want)
				}
			}
		}
		if n == 0 {
			var flat [64]uint8
			idctDC(flat[:], 8, coef[0], q[0])
			if flat != got {
				t.Fatalf("trial %d: DC shortcut %v, full %v", trial, flat[0], got[0])
			}
		}
	}
}

func TestBadStreams(t *testing.T) {
	cases := map[string][]byte{
		"empty":           nil,
		"no SOI":          {0x00, 0x01},
		"SOI only":        {0xff, 0xd8},
		"16-bit":          {0xff, 0xd8, 0xff, 0xc0, 0, 11, 16, 0, 8, 0, 8, 1, 1, 0x11, 0},
		"lossless":        {0xff, 0xd8, 0xff, 0xc3, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0},
		"zero width":      {0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 8, 0, 0, 1, 1, 0x11, 0},
		"bad sampling":    {0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x51, 0},
		"SOS without SOF": {0xff, 0xd8, 0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0},
	}
	for name, b := range cases {
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	full, err := os.ReadFile(filepath.Join("..", "..", "testdata", "jpeg420_64x48.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(full[:len(full)/2]); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: %v, want io.ErrUnexpectedEOF", err)
	}
}

package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/resnetgo/resnet/internal/kernels"
)

// precision holds the --bf16 and --int8 flags: the engine's optional
// precision modes (engine.Options.BF16 and Int8).
type precision struct{ bf16, int8 bool }

func (p *precision) register(f *pflag.FlagSet) {
	f.BoolVar(&p.bf16, "bf16", false, "engine: bfloat16 products, float32 sums (fast with AVX512-BF16 or arm64's BFDOT; not float32-exact)")
	f.BoolVar(&p.int8, "int8", false, "engine: 8-bit products, exact int32 sums, scaled back to float32 (fast with AVX512-VNNI, AVX-VNNI or arm64's SDOT; less precise than --bf16; Winograd's layers and the classifier stay float32, or bfloat16 with --bf16)")
}

// check rejects the modes without the engine and warns on stderr when
// this CPU lacks their kernels: the mode then runs portable code, slowly.
func (p *precision) check(stderr io.Writer, useEngine bool) error {
	for _, m := range []struct {
		on           bool
		flag, kernel string
		native       bool
	}{
		{p.bf16, "--bf16", "AVX512-BF16 or arm64's BFDOT", kernels.BF16Native()},
		{p.int8, "--int8", "AVX512-VNNI, AVX-VNNI or arm64's SDOT", kernels.Int8Native()},
	} {
		if !m.on {
			continue
		}
		if !useEngine {
			return errors.New(m.flag + " needs the engine (--engine=false runs float32 layer by layer)")
		}
		if !m.native {
			fmt.Fprintf(stderr, "note: this CPU (or RESNET_NOASM) has no %s kernels; %s runs portable code, far slower than float32\n", m.kernel, m.flag)
		}
	}
	return nil
}

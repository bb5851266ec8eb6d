package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/resnetgo/resnet/internal/kernels"
)

// bf16Usage is the --bf16 flag's help.
const bf16Usage = "engine: bfloat16 products, float32 sums (fast with AVX512-BF16; not float32-exact)"

// checkBF16 rejects --bf16 without the engine and warns on stderr when
// this CPU lacks AVX512-BF16: the mode then runs portable code, slowly.
func checkBF16(stderr io.Writer, bf16, useEngine bool) error {
	if !bf16 {
		return nil
	}
	if !useEngine {
		return errors.New("--bf16 needs the engine (--engine=false runs float32 layer by layer)")
	}
	if !kernels.BF16Native() {
		fmt.Fprintln(stderr, "note: this CPU (or RESNET_NOASM) has no AVX512-BF16 kernels; --bf16 runs portable code, far slower than float32")
	}
	return nil
}

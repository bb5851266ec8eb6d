//go:build !purego

package kernels

func winoAsm() []winoVariant {
	var v []winoVariant
	if hasAVX512 {
		v = append(v, winoVariant{"avx512", winoInputAVX512Go, winoOutputAVX512Go})
	}
	if hasAVX2 {
		v = append(v, winoVariant{"avx2", winoInputAVX2Go, winoOutputAVX2Go})
	}
	return v
}

func wino4Asm() []winoVariant {
	var v []winoVariant
	if hasAVX512 {
		v = append(v, winoVariant{"avx512", wino4InputAVX512Go, wino4OutputAVX512Go})
	}
	if hasAVX2 {
		v = append(v, winoVariant{"avx2", wino4InputAVX2Go, wino4OutputAVX2Go})
	}
	return v
}

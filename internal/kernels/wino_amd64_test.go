//go:build !purego

package kernels

func winoAsm() []winoVariant {
	if !hasAVX512 {
		return nil
	}
	return []winoVariant{{"avx512", winoInputAVX512Go, winoOutputAVX512Go}}
}

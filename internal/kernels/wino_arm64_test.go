//go:build !purego

package kernels

func winoAsm() []winoVariant {
	return []winoVariant{{"neon", winoInputNEONGo, winoOutputNEONGo}}
}

func wino4Asm() []winoVariant {
	return []winoVariant{{"neon", wino4InputNEONGo, wino4OutputNEONGo}}
}

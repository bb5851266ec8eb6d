//go:build purego || !(amd64 || arm64)

package kernels

func winoAsm() []winoVariant  { return nil }
func wino4Asm() []winoVariant { return nil }

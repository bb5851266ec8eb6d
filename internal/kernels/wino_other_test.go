//go:build purego || !amd64

package kernels

func winoAsm() []winoVariant { return nil }

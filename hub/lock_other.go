//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package hub

func tryLock(p string) (unlock func(), busy bool, err error) { return tryLockExcl(p) }

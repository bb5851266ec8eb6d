package engine

var zzVariant bool

func zzSet(v bool) { zzVariant = v }

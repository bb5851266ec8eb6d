// Package kservepb holds the generated Go code of the Open Inference
// Protocol's gRPC service (KServe v2, package "inference").
//
// Regenerate with `go generate ./serve/kservepb` after installing protoc
// (Debian protobuf-compiler) and the plugins:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.0
package kservepb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative grpc_predict_v2.proto

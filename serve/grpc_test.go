package serve

import (
	"context"
	"encoding/binary"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	pb "github.com/resnetgo/resnet/serve/kservepb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// newGRPC serves s over gRPC on loopback and returns a client.
func newGRPC(t testing.TB, s *Server) pb.GRPCInferenceServiceClient {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := s.GRPCServer()
	go gs.Serve(ln)
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); gs.Stop() })
	return pb.NewGRPCInferenceServiceClient(conn)
}

func TestGRPCHealthAndMetadata(t *testing.T) {
	s, _ := newTest(t, Config{Version: "9"})
	c := newGRPC(t, s)
	ctx := context.Background()
	if r, err := c.ServerLive(ctx, &pb.ServerLiveRequest{}); err != nil || !r.Live {
		t.Fatalf("ServerLive: %v %v", r, err)
	}
	if r, err := c.ServerReady(ctx, &pb.ServerReadyRequest{}); err != nil || !r.Ready {
		t.Fatalf("ServerReady: %v %v", r, err)
	}
	if r, err := c.ServerMetadata(ctx, &pb.ServerMetadataRequest{}); err != nil || r.Name != "resnet" || r.Version != "9" {
		t.Fatalf("ServerMetadata: %v %v", r, err)
	}
	if r, err := c.ModelReady(ctx, &pb.ModelReadyRequest{Name: "m"}); err != nil || !r.Ready {
		t.Fatalf("ModelReady: %v %v", r, err)
	}
	r, err := c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "m", Version: "1"})
	if err != nil || r.Platform != "resnetgo" || len(r.Inputs) != 2 || r.Inputs[0].Datatype != "FP32" ||
		len(r.Inputs[0].Shape) != 4 || r.Inputs[0].Shape[2] != 32 || r.Outputs[0].Shape[1] != 10 {
		t.Fatalf("ModelMetadata: %v %v", r, err)
	}
	for _, tc := range []struct {
		err  error
		code codes.Code
	}{
		{second(c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "nope"})), codes.NotFound},
		{second(c.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "m", Version: "3"})), codes.NotFound},
		{second(c.ModelReady(ctx, &pb.ModelReadyRequest{Name: "nope"})), codes.NotFound},
	} {
		if status.Code(tc.err) != tc.code {
			t.Errorf("got %v, want %v", tc.err, tc.code)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func rawFloats(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func TestGRPCInfer(t *testing.T) {
	s, _ := newTest(t, Config{})
	c := newGRPC(t, s)
	ctx := context.Background()
	a, b := pngImage(t, 40, 30, 1), pngImage(t, 64, 48, 2)
	x := nchw(t, a, b)
	want := append(directLogits(t, a), directLogits(t, b)...)

	// FP32 in typed contents.
	r, err := c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "m", Id: "g1",
		Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{2, 3, 32, 32},
			Contents: &pb.InferTensorContents{Fp32Contents: x}}},
		Outputs: []*pb.ModelInferRequest_InferRequestedOutputTensor{{Name: "logits"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Id != "g1" || r.ModelName != "m" || len(r.Outputs) != 1 || r.Outputs[0].Shape[0] != 2 {
		t.Fatalf("response %v", r)
	}
	closeTo(t, r.Outputs[0].Contents.Fp32Contents, want)

	// FP32 as raw contents: the answer comes raw too.
	r, err = c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "m",
		Inputs:           []*pb.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{2, 3, 32, 32}}},
		RawInputContents: [][]byte{rawFloats(x)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Outputs) != 2 || len(r.RawOutputContents) != 2 || r.Outputs[0].Contents != nil {
		t.Fatalf("raw response %v", r)
	}
	got := make([]float32, 20)
	for i := range got {
		got[i] = math.Float32frombits(binary.LittleEndian.Uint32(r.RawOutputContents[0][4*i:]))
	}
	closeTo(t, got, want)

	// BYTES of encoded images, typed and raw (4-byte length prefixes).
	r, err = c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "m2",
		Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "image", Datatype: "BYTES", Shape: []int64{2},
			Contents: &pb.InferTensorContents{BytesContents: [][]byte{a, b}}}}})
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, r.Outputs[0].Contents.Fp32Contents, want)
	var raw []byte
	for _, img := range [][]byte{a, b} {
		raw = binary.LittleEndian.AppendUint32(raw, uint32(len(img)))
		raw = append(raw, img...)
	}
	r, err = c.ModelInfer(ctx, &pb.ModelInferRequest{ModelName: "m2",
		Inputs:           []*pb.ModelInferRequest_InferInputTensor{{Name: "image", Datatype: "BYTES", Shape: []int64{2}}},
		RawInputContents: [][]byte{raw}})
	if err != nil || len(r.RawOutputContents) != 2 {
		t.Fatalf("raw bytes: %v %v", r, err)
	}
}

func TestGRPCErrors(t *testing.T) {
	h := newHook()
	s, _ := newTest(t, Config{Token: "tok", MaxBodyBytes: 50000, MaxBatch: 1, QueueSize: 1, forward: h.forward})
	c := newGRPC(t, s)
	auth := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer tok")
	x := nchw(t, pngImage(t, 40, 30, 1))
	fp32 := func(shape []int64, data []float32) *pb.ModelInferRequest {
		return &pb.ModelInferRequest{ModelName: "m", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "input",
			Datatype: "FP32", Shape: shape, Contents: &pb.InferTensorContents{Fp32Contents: data}}}}
	}
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		req    *pb.ModelInferRequest
		code   codes.Code
		reason string
	}{
		{"no token", context.Background(), fp32([]int64{1, 3, 32, 32}, x), codes.Unauthenticated, "bearer token"},
		{"unknown model", auth, &pb.ModelInferRequest{ModelName: "nope"}, codes.NotFound, "unknown model"},
		{"wrong shape", auth, fp32([]int64{1, 3, 31, 33}, x), codes.InvalidArgument, "want [N,3,32,32]"},
		{"count mismatch", auth, fp32([]int64{1, 3, 32, 32}, x[:10]), codes.InvalidArgument, "data has 10"},
		{"wrong dtype", auth, &pb.ModelInferRequest{ModelName: "m", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "input",
			Datatype: "INT64", Shape: []int64{1}, Contents: &pb.InferTensorContents{Int64Contents: []int64{1}}}}}, codes.InvalidArgument, "unsupported datatype"},
		{"corrupt image", auth, &pb.ModelInferRequest{ModelName: "m", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "image",
			Datatype: "BYTES", Shape: []int64{1}, Contents: &pb.InferTensorContents{BytesContents: [][]byte{[]byte("\x89PNG\r\n\x1a\nbroken")}}}}}, codes.InvalidArgument, "image[0]"},
		{"raw count", auth, &pb.ModelInferRequest{ModelName: "m", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "input",
			Datatype: "FP32", Shape: []int64{1, 3, 32, 32}}}, RawInputContents: [][]byte{{1}, {2}}}, codes.InvalidArgument, "raw_input_contents"},
		{"raw odd bytes", auth, &pb.ModelInferRequest{ModelName: "m", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "input",
			Datatype: "FP32", Shape: []int64{1, 3, 32, 32}}}, RawInputContents: [][]byte{{1, 2, 3}}}, codes.InvalidArgument, "3 bytes"},
		{"raw bytes truncated", auth, &pb.ModelInferRequest{ModelName: "m", Inputs: []*pb.ModelInferRequest_InferInputTensor{{Name: "image",
			Datatype: "BYTES", Shape: []int64{1}}}, RawInputContents: [][]byte{{9, 0, 0, 0, 1}}}, codes.InvalidArgument, "element of 9 bytes"},
		{"oversized", auth, fp32([]int64{5, 3, 32, 32}, make([]float32, 5*3072)), codes.ResourceExhausted, "larger than max"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ModelInfer(tc.ctx, tc.req)
			if status.Code(err) != tc.code || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("got %v, want %v containing %q", err, tc.code, tc.reason)
			}
		})
	}
	// Health checks need no token.
	if _, err := c.ServerLive(context.Background(), &pb.ServerLiveRequest{}); err != nil {
		t.Fatal(err)
	}

	// Full queue and client deadline.
	errc := make(chan error, 2)
	go func() { _, err := c.ModelInfer(auth, fp32([]int64{1, 3, 32, 32}, x)); errc <- err }()
	<-h.entered
	go func() { _, err := c.ModelInfer(auth, fp32([]int64{1, 3, 32, 32}, x)); errc <- err }()
	for len(s.models["m"].b.queue) < 1 {
		time.Sleep(time.Millisecond)
	}
	if _, err := c.ModelInfer(auth, fp32([]int64{1, 3, 32, 32}, x)); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("full queue: %v", err)
	}
	close(h.release)
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	h2 := newHook()
	s2, _ := newTest(t, Config{forward: h2.forward})
	c2 := newGRPC(t, s2)
	ctx, cancel := context.WithTimeout(context.Background(), 100e6)
	defer cancel()
	if _, err := c2.ModelInfer(ctx, fp32([]int64{1, 3, 32, 32}, x)); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("deadline: %v", err)
	}
	close(h2.release)
}

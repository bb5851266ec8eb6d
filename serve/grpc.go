package serve

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/resnetgo/resnet/serve/kservepb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// GRPCServer returns a gRPC server with the Open Inference Protocol's
// GRPCInferenceService registered, and the same limits, auth, logs and
// metrics as the HTTP API.
func (s *Server) GRPCServer() *grpc.Server {
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(int(min(s.cfg.MaxBodyBytes, math.MaxInt32))),
		grpc.MaxSendMsgSize(64 << 20),
		grpc.UnaryInterceptor(s.unaryInterceptor),
	}
	if s.cfg.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(s.cfg.TLS.Clone())))
	}
	gs := grpc.NewServer(opts...)
	kservepb.RegisterGRPCInferenceServiceServer(gs, &grpcService{s: s})
	return gs
}

// grpcCode maps an HTTP status from statusOf to a gRPC code.
func grpcCode(httpCode int) codes.Code {
	switch httpCode {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		return codes.InvalidArgument
	case http.StatusNotFound:
		return codes.NotFound
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	case http.StatusGatewayTimeout:
		return codes.DeadlineExceeded
	case 499:
		return codes.Canceled
	}
	return codes.Internal
}

func grpcError(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	code, msg := statusOf(err)
	return status.Error(grpcCode(code), msg)
}

// grpcModel is the model name of a request, for logs and metrics.
func grpcModel(req any) string {
	switch r := req.(type) {
	case *kservepb.ModelInferRequest:
		return r.GetModelName()
	case *kservepb.ModelMetadataRequest:
		return r.GetName()
	case *kservepb.ModelReadyRequest:
		return r.GetName()
	}
	return ""
}

func (s *Server) unaryInterceptor(ctx context.Context, req any, in *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	start := time.Now()
	md, _ := metadata.FromIncomingContext(ctx)
	ri := &reqInfo{id: requestID(first(md.Get("x-request-id"))), handler: "grpc"}
	if name := grpcModel(req); name != "" {
		if _, ok := s.models[name]; ok {
			ri.model = name
		}
	}
	grpc.SetHeader(ctx, metadata.Pairs("x-request-id", ri.id))
	method := in.FullMethod[strings.LastIndexByte(in.FullMethod, '/')+1:]
	s.m.inflight.Inc()
	defer func() {
		s.m.inflight.Dec()
		if v := recover(); v != nil {
			s.m.panics.Inc()
			s.log.Error("panic in handler", "id", ri.id, "method", method, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			resp, err = nil, status.Error(codes.Internal, "internal error")
		}
		code := status.Code(err)
		d := time.Since(start)
		if method == "ModelInfer" || method == "ModelMetadata" {
			s.m.requests.WithLabelValues(ri.model, ri.handler, code.String()).Inc()
			s.m.latency.WithLabelValues(ri.model, ri.handler, code.String()).Observe(d.Seconds())
		}
		lvl := slog.LevelInfo
		if code == codes.Internal || code == codes.Unknown {
			lvl = slog.LevelWarn
		}
		s.log.LogAttrs(ctx, lvl, "grpc", slog.String("id", ri.id), slog.String("method", method),
			slog.String("code", code.String()), slog.Duration("dur", d), slog.String("model", ri.model))
	}()
	health := method == "ServerLive" || method == "ServerReady"
	if s.cfg.Token != "" && !health && !s.authorized(first(md.Get("authorization"))) {
		return nil, status.Error(codes.Unauthenticated, "missing or wrong bearer token")
	}
	if !health {
		select {
		case s.sem <- struct{}{}:
			defer func() { <-s.sem }()
		default:
			return nil, status.Error(codes.Unavailable, "too many concurrent requests")
		}
	}
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, ctxKey{}, ri), s.cfg.RequestTimeout)
	defer cancel()
	resp, err = handler(ctx, req)
	if err != nil {
		err = grpcError(err)
	}
	return resp, err
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// grpcService implements kservepb.GRPCInferenceServiceServer.
type grpcService struct {
	kservepb.UnimplementedGRPCInferenceServiceServer
	s *Server
}

func (g *grpcService) ServerLive(context.Context, *kservepb.ServerLiveRequest) (*kservepb.ServerLiveResponse, error) {
	return &kservepb.ServerLiveResponse{Live: true}, nil
}

func (g *grpcService) ServerReady(context.Context, *kservepb.ServerReadyRequest) (*kservepb.ServerReadyResponse, error) {
	return &kservepb.ServerReadyResponse{Ready: g.s.ready.Load()}, nil
}

func (g *grpcService) ServerMetadata(context.Context, *kservepb.ServerMetadataRequest) (*kservepb.ServerMetadataResponse, error) {
	return &kservepb.ServerMetadataResponse{Name: serverName, Version: g.s.cfg.Version, Extensions: []string{}}, nil
}

func (g *grpcService) model(name, version string) (*model, error) {
	m, err := g.s.lookup(name)
	if err != nil {
		return nil, err
	}
	if version != "" && version != v2Version {
		return nil, status.Errorf(codes.NotFound, v2ErrNoVersion, name, version, v2Version)
	}
	return m, nil
}

func (g *grpcService) ModelReady(_ context.Context, r *kservepb.ModelReadyRequest) (*kservepb.ModelReadyResponse, error) {
	if _, err := g.model(r.GetName(), r.GetVersion()); err != nil {
		return nil, err
	}
	return &kservepb.ModelReadyResponse{Ready: g.s.ready.Load()}, nil
}

func (g *grpcService) ModelMetadata(_ context.Context, r *kservepb.ModelMetadataRequest) (*kservepb.ModelMetadataResponse, error) {
	m, err := g.model(r.GetName(), r.GetVersion())
	if err != nil {
		return nil, err
	}
	meta := m.meta()
	conv := func(ts []tensorMeta) []*kservepb.ModelMetadataResponse_TensorMetadata {
		var out []*kservepb.ModelMetadataResponse_TensorMetadata
		for _, t := range ts {
			out = append(out, &kservepb.ModelMetadataResponse_TensorMetadata{Name: t.Name, Datatype: t.Datatype, Shape: t.Shape})
		}
		return out
	}
	return &kservepb.ModelMetadataResponse{Name: meta.Name, Versions: meta.Versions, Platform: meta.Platform,
		Inputs: conv(meta.Inputs), Outputs: conv(meta.Outputs)}, nil
}

func (g *grpcService) ModelInfer(ctx context.Context, r *kservepb.ModelInferRequest) (*kservepb.ModelInferResponse, error) {
	m, err := g.model(r.GetModelName(), r.GetModelVersion())
	if err != nil {
		return nil, err
	}
	raw := r.GetRawInputContents()
	if len(raw) > 0 && len(raw) != len(r.GetInputs()) {
		return nil, badRequest("%d raw_input_contents for %d inputs", len(raw), len(r.GetInputs()))
	}
	ins := make([]inferInput, len(r.GetInputs()))
	for i, t := range r.GetInputs() {
		in := inferInput{name: t.GetName(), datatype: strings.ToUpper(t.GetDatatype()), shape: t.GetShape()}
		switch {
		case len(raw) > 0 && in.datatype == dtypeFP32:
			if len(raw[i])%4 != 0 {
				return nil, badRequest("input %q: raw FP32 contents of %d bytes", in.name, len(raw[i]))
			}
			in.fp32 = make([]float32, len(raw[i])/4)
			for j := range in.fp32 {
				in.fp32[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[i][4*j:]))
			}
		case len(raw) > 0 && in.datatype == dtypeBytes:
			if in.bytes, err = splitRawBytes(raw[i]); err != nil {
				return nil, badRequest("input %q: %v", in.name, err)
			}
		default:
			in.fp32 = t.GetContents().GetFp32Contents()
			in.bytes = t.GetContents().GetBytesContents()
		}
		ins[i] = in
	}
	var want []string
	for _, o := range r.GetOutputs() {
		want = append(want, o.GetName())
	}
	outs, err := g.s.infer(ctx, m, ins, want)
	if err != nil {
		return nil, err
	}
	resp := &kservepb.ModelInferResponse{ModelName: m.name, ModelVersion: v2Version, Id: r.GetId()}
	for _, o := range outs {
		t := &kservepb.ModelInferResponse_InferOutputTensor{Name: o.name, Datatype: dtypeFP32, Shape: o.shape}
		if len(raw) > 0 { // answer in the form the client used
			b := make([]byte, 4*len(o.data))
			for j, v := range o.data {
				binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(v))
			}
			resp.RawOutputContents = append(resp.RawOutputContents, b)
		} else {
			t.Contents = &kservepb.InferTensorContents{Fp32Contents: o.data}
		}
		resp.Outputs = append(resp.Outputs, t)
	}
	return resp, nil
}

// splitRawBytes cuts raw BYTES contents: each element is a 4-byte
// little-endian length and then that many bytes.
func splitRawBytes(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, fmt.Errorf("raw BYTES contents: truncated length prefix")
		}
		n := binary.LittleEndian.Uint32(b)
		b = b[4:]
		if uint64(n) > uint64(len(b)) {
			return nil, fmt.Errorf("raw BYTES contents: element of %d bytes, %d left", n, len(b))
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out, nil
}

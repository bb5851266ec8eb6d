package serve

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus series, on a registry of its own so
// that several servers (tests) can live in one process.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec   // model, handler, code
	latency   *prometheus.HistogramVec // model, handler, code
	batchSize *prometheus.HistogramVec // model
	inference *prometheus.HistogramVec // model
	dropped   *prometheus.CounterVec   // model
	inflight  prometheus.Gauge
	panics    prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "resnet_serve_requests_total",
			Help: "Requests answered, by model, handler (v1, v2, grpc, ...) and status code.",
		}, []string{"model", "handler", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "resnet_serve_request_duration_seconds",
			Help:    "Time from request start to response, by model, handler and status code.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, []string{"model", "handler", "code"}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "resnet_serve_batch_size",
			Help:    "Images per forward pass.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		}, []string{"model"}),
		inference: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "resnet_serve_inference_duration_seconds",
			Help:    "Time of one batched forward pass.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, []string{"model"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "resnet_serve_dropped_total",
			Help: "Queued images dropped before running because their client went away or timed out.",
		}, []string{"model"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "resnet_serve_inflight_requests",
			Help: "Requests being handled.",
		}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "resnet_serve_panics_total",
			Help: "Panics recovered while handling requests.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.batchSize, m.inference, m.dropped, m.inflight, m.panics,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// addQueueGauge exports the queue length of b as resnet_serve_queue_depth.
func (m *metrics) addQueueGauge(b *batcher) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "resnet_serve_queue_depth",
		Help:        "Images waiting for a batch.",
		ConstLabels: prometheus.Labels{"model": b.name},
	}, func() float64 { return float64(len(b.queue)) }))
}

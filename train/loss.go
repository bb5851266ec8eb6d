package train

import (
	"fmt"
	"math"

	"github.com/resnetgo/resnet/tensor"
)

// CrossEntropy is torch.nn.functional.cross_entropy(logits, targets,
// label_smoothing=smoothing) with reduction "mean": for each row,
// (1−ε)·(−log p[target]) + ε·mean over classes of (−log p[c]), averaged
// over the batch. It returns the loss and its gradient with respect to the
// logits, (softmax − q)/N with q = (1−ε)·onehot + ε/C. Sums run in float64.
// logits: (N, C); targets: N class indices in [0, C).
func CrossEntropy(logits *tensor.Tensor, targets []int, smoothing float64) (float64, *tensor.Tensor, error) {
	if logits.Dims() != 2 || logits.Shape[0] != len(targets) || logits.Shape[0] == 0 {
		return 0, nil, fmt.Errorf("train: cross entropy of logits %s with %d targets", tensor.ShapeString(logits.Shape), len(targets))
	}
	if smoothing < 0 || smoothing > 1 {
		return 0, nil, fmt.Errorf("train: label smoothing %g outside [0, 1]", smoothing)
	}
	n, c := logits.Shape[0], logits.Shape[1]
	grad := tensor.New(n, c)
	var total float64
	for i, t := range targets {
		if t < 0 || t >= c {
			return 0, nil, fmt.Errorf("train: target %d of row %d outside [0, %d)", t, i, c)
		}
		row := logits.Data[i*c : (i+1)*c]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, float64(v))
		}
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v) - m)
		}
		lse := m + math.Log(z)
		var sumLogP float64
		g := grad.Data[i*c : (i+1)*c]
		for j, v := range row {
			logp := float64(v) - lse
			sumLogP += logp
			q := smoothing / float64(c)
			if j == t {
				q += 1 - smoothing
			}
			g[j] = float32((math.Exp(logp) - q) / float64(n))
		}
		total += -(1-smoothing)*(float64(row[t])-lse) - smoothing*sumLogP/float64(c)
	}
	return total / float64(n), grad, nil
}

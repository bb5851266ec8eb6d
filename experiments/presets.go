package experiments

// Preset is one size of the three experiments: the settings a command
// line starts from before its flags override them.
type Preset struct {
	Name        string
	Degradation DegradationConfig
	Lesion      LesionConfig
	GradFlow    GradFlowConfig
}

// Full is the default size, which took 87 minutes on the 2-core
// development machine (docs/experiments/README.md, "The full run"):
// plain-20/56 and ResNet-20/56 trained with the paper's recipe on the
// whole training set for a few epochs — the paper's 64k iterations would
// take days here — then lesioned on 1,000 test images, and the gradient
// flow of depths 20, 56 and 110 at initialisation over 4 batches of 128.
func Full() Preset {
	return Preset{
		Name: "full",
		Degradation: DegradationConfig{
			Nets:   []string{"plain20", "plain56", "resnet20", "resnet56"},
			Epochs: 3, Batch: 128, LR: 0.1, Momentum: 0.9, WeightDecay: 1e-4,
			EvalSubset: 2000, LogEvery: 20, EvalEvery: 100,
		},
		Lesion: LesionConfig{Nets: []string{"plain56", "resnet56"}, TestSubset: 1000, MaxK: 10, Draws: 5},
		GradFlow: GradFlowConfig{
			Nets:    []string{"plain20", "plain56", "plain110", "resnet20", "resnet56", "resnet110"},
			Batches: 4, Batch: 128,
		},
	}
}

// Quick is a smoke test of every code path in a few minutes (CI): the
// same networks, a few iterations of small batches, small test subsets.
// Its numbers mean nothing.
func Quick() Preset {
	p := Full()
	p.Name = "quick"
	p.Degradation.Epochs, p.Degradation.Iters, p.Degradation.Batch = 0, 8, 32
	p.Degradation.TrainSubset, p.Degradation.EvalSubset, p.Degradation.TestSubset = 512, 64, 128
	p.Degradation.LogEvery, p.Degradation.EvalEvery = 2, 4
	p.Lesion.TestSubset, p.Lesion.Draws = 64, 2
	p.GradFlow.Batches, p.GradFlow.Batch = 1, 16
	return p
}

// Package train holds what training a network needs beyond its layers'
// backward passes: the cross-entropy loss, the optimisers SGD and AdamW
// with parameter groups, and learning-rate schedules, all following
// PyTorch 1.13's torch.nn.functional.cross_entropy, torch.optim and
// torch.optim.lr_scheduler to the update rule, so that a recipe written
// for PyTorch gives the same numbers here.
//
// Fine-tuning a models.ResNet as in the usual PyTorch recipe (error
// handling left out):
//
//	m.FreezeBackbone()                // or m.FreezeUpTo(3), or nothing
//	m.ReplaceHead(numClasses, seed)   // new fc, trainable
//	backbone, head := m.TrainableParameters()
//	h := train.Hyper{LR: 0.01, Momentum: 0.9, WeightDecay: 1e-4}
//	opt, _ := train.NewSGD(train.Group{Params: head, Hyper: h}, train.Group{Params: backbone, Hyper: h})
//	sched := train.NewCosineAnnealingLR(opt, epochs, 0)
//	m.SetTraining(true)
//	for each batch (x, labels):
//		logits, _ := m.ForwardTrain(x, false)
//		loss, dlogits, _ := train.CrossEntropy(logits, labels, 0.1)
//		opt.ZeroGrad()
//		m.Backward(dlogits)
//		opt.Step()
//	sched.Step() // after each epoch
//
// opt.State() and sched.State() hold what --resume needs besides the weights.
package train

// Package train holds what training a network needs beyond its layers'
// backward passes: the cross-entropy loss, the optimisers SGD and AdamW
// with parameter groups, and learning-rate schedules, all following
// PyTorch 1.13's torch.nn.functional.cross_entropy, torch.optim and
// torch.optim.lr_scheduler to the update rule, so that a recipe written
// for PyTorch gives the same numbers here.
//
// A training step on a models.ResNet:
//
//	m.SetTraining(true)
//	logits, _ := m.ForwardTrain(x, false)
//	loss, dlogits := train.CrossEntropy(logits, labels, 0.1)
//	opt.ZeroGrad()
//	m.Backward(dlogits)
//	opt.Step()
//	sched.Step() // once per epoch or per iteration, as the recipe says
package train

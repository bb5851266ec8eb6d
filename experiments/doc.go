// Package experiments reproduces, with this module's own trainer, the
// empirical claims behind residual learning, each as a seeded, resumable
// run that writes CSV files and draws its plots from them:
//
//   - RunDegradation: plain-20/56 against ResNet-20/56 with the recipe of
//     He et al. 2015 §4.2; a deeper plain network trains worse than a
//     shallower one, a deeper residual one does not (the paper's Figure 6).
//   - RunLesion: trained networks with blocks removed at test time, one at
//     a time and k at random (Veit et al. 2016): a residual network degrades
//     smoothly, a plain one collapses.
//   - RunGradFlow: the gradient norm of every convolution at
//     initialisation, plain against residual, at depths 20, 56 and 110.
//
// Every run writes under one directory (degradation/, lesion/, gradflow/),
// so that Report and UpdateDoc can turn the CSV files into markdown tables
// and Check can verify that everything is there and well-formed. Quick and
// Full are the two sizes the command line offers: a smoke test of a few
// minutes, and a run of about 1.5 hours on two cores (measured:
// docs/experiments/README.md, "The full run").
package experiments

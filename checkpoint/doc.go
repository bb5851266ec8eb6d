// Package checkpoint reads and writes model checkpoints: PyTorch's
// torch.save files (the zip format of PyTorch ≥ 1.6 and the older "legacy"
// format the WSL weights use) and safetensors files.
//
// Reading executes nothing. The pickle inside a .pth file is interpreted by a
// small virtual machine that resolves globals only against an allowlist, like
// torch.load(weights_only=True): OrderedDict, the tensor and parameter rebuild
// functions, the storage types, torch.Size and a few builtins. Every size and
// offset is checked against the input before anything is allocated, and
// storages are read straight into the float32 (or int64) slices that are
// returned, so loading a checkpoint needs little more memory than the
// tensors it holds.
//
// Load returns a StateDict: tensors by name, in the file's order, with
// {"state_dict": …} and {"model": …} wrappers removed and a DataParallel
// "module." prefix stripped. LoadObject returns the whole unpickled object
// tree (see Value) for files that hold more than weights. SavePTH,
// SaveObject and SaveSafetensors write files PyTorch loads with
// torch.load(f, weights_only=True) or safetensors.torch.load_file.
//
// Memory: loading a 354 MB float32 checkpoint (504 tensors, shaped like the
// WSL ResNeXt-101 32x8d file) peaks at 361 MB resident, 1.02× the file
// size, in each of the legacy, zip and safetensors formats:
//
//	CHECKPOINT_RSS=1 go test -count=1 -run TestPeakRSS -v ./checkpoint/
//
// float16/bfloat16 files grow to float32 (2× their size); float64 shrink.
package checkpoint

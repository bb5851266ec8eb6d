// Package hub maps weights names to their official addresses and fetches
// them into a local cache, the way torch.hub does, without Python.
//
// The table (Lookup, Entries) holds every torchvision ResNet, ResNeXt and
// Wide ResNet ImageNet weights file, V1 and V2, and the four WSL-Images
// ResNeXt-101 files, each with the evaluation transform it was measured
// with, its accuracy and its licence. A Client fetches a file by name:
//
//   - it looks in its cache directory, then in PyTorch's
//     ($TORCH_HOME/hub/checkpoints), so a file torch.hub already downloaded
//     is not downloaded again;
//   - it downloads into NAME.partial, resuming an interrupted download with
//     an HTTP Range request, checks the SHA-256 prefix that the file name
//     carries (torch.hub's convention), and renames the file into place;
//   - it retries what the network did (a cut connection, a 5xx, a timeout)
//     up to five times, waiting 1, 2, 4 and 8 s, but not a client error
//     (4xx other than 408 and 429) or a host name that does not resolve;
//     with no network at all the error says how to fill the cache by hand;
//   - concurrent Fetches, in one process or several, serialise on a lock
//     file, so the cache never holds a half-written or unverified file.
//
// Hashing a 3.3 GB file takes seconds, so a successful check is remembered
// in a marker keyed by the file's path, size and modification time.
//
// Environment: RESNET_CACHE (cache directory), RESNET_OFFLINE=1 (never
// download), RESNET_HUB_URL (mirror base address), TORCH_HOME and
// XDG_CACHE_HOME as PyTorch reads them.
package hub

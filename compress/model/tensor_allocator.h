// Process-wide malloc settings for tensor workloads. glibc serves large blocks (the
// activations of a batch) with mmap and returns them with munmap after every op, so each
// forward pass page-faults its buffers afresh: measured here, cnn2 at batch 256 takes
// ~1.4 s per forward that way and ~0.28 s with the buffers kept in the heap. Call once at
// the start of main() in programs that run models; it trades retained memory for speed.
#pragma once

namespace hone::compress {

void KeepTensorBuffersInHeap();

}  // namespace hone::compress

#include "compress/model/tensor_allocator.h"

#include <malloc.h>

namespace hone::compress {

void KeepTensorBuffersInHeap() {
  // Blocks under 512 MiB come from the heap, and up to 1 GiB of free heap stays mapped.
  mallopt(M_MMAP_THRESHOLD, 512 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace hone::compress

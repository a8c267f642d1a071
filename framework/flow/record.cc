#include "framework/flow/record.h"

namespace ringflow::flow {

std::pmr::memory_resource* BatchMemoryPool() {
  // Blocks up to 16 MiB are pooled (a batch asks for a few, from 64 KiB up); larger ones go
  // straight to new/delete. Never destroyed: batches may outlive static destruction order.
  static auto* const pool = new std::pmr::synchronized_pool_resource(
      std::pmr::pool_options{/*max_blocks_per_chunk=*/16,
                             /*largest_required_pool_block=*/std::size_t{16} << 20});
  return pool;
}

}  // namespace ringflow::flow

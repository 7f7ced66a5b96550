// Counts operator new calls and bytes in talkory-bench: allocation_counter.cpp replaces the
// global operator new/delete family in the bench binary only, never in the library.
#pragma once

#include <cstdint>

namespace talkory::bench {

struct allocation_totals {
  std::uint64_t count = 0; ///< operator new calls (every variant: sized, aligned, nothrow, arrays)
  std::uint64_t bytes = 0; ///< bytes they asked for
};

/// Zeroes the totals and counts every allocation from now on, on every thread.
void start_counting_allocations() noexcept;

/// Stops counting and returns what was counted since start_counting_allocations().
allocation_totals stop_counting_allocations() noexcept;

} // namespace talkory::bench

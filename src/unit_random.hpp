// The randomness behind retry jitter: a seeded generator, injectable so tests can fix it.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

namespace talkory::detail {

/// Draws uniformly from [0, 1). Called from any call's strand, so it must be thread-safe.
using unit_random = std::function<double()>;

/// splitmix64 behind a mutex: jitter needs spread, not cryptographic strength.
class splitmix_source {
public:
  explicit splitmix_source(std::uint64_t seed) : state_(seed) {}
  double operator()() {
    std::lock_guard lock(mutex_);
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
  }

private:
  std::mutex mutex_;
  std::uint64_t state_;
};

/// A generator seeded from std::random_device (the library's default).
unit_random make_default_unit_random();

} // namespace talkory::detail

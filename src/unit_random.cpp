// The library's default jitter source.
#include "unit_random.hpp"

#include <memory>
#include <random>

namespace talkory::detail {

unit_random make_default_unit_random() {
  std::random_device rd;
  auto source = std::make_shared<splitmix_source>((std::uint64_t{rd()} << 32) ^ rd());
  return [source] { return (*source)(); };
}

} // namespace talkory::detail

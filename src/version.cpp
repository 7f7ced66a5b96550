// The linked library's version, and the check that version.hpp's string agrees with its numbers.
#include <talkory/version.hpp>

namespace talkory {

namespace {
#define TALKORY_STRINGIFY_(x) #x
#define TALKORY_STRINGIFY(x) TALKORY_STRINGIFY_(x)
// CMake reads the three numbers; users read the string: they must never drift apart.
static_assert(std::string_view(TALKORY_VERSION_STRING) ==
                  TALKORY_STRINGIFY(TALKORY_VERSION_MAJOR) "." TALKORY_STRINGIFY(
                      TALKORY_VERSION_MINOR) "." TALKORY_STRINGIFY(TALKORY_VERSION_PATCH),
              "TALKORY_VERSION_STRING disagrees with TALKORY_VERSION_MAJOR/MINOR/PATCH");
#undef TALKORY_STRINGIFY
#undef TALKORY_STRINGIFY_
} // namespace

version_info version() noexcept { return header_version(); }

} // namespace talkory

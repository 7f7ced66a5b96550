/// @file
/// talkory's version. The one place it is written: CMake reads the three numbers from here for
/// the package's version, and user_agent's default is built from it.
///
/// talkory follows semantic versioning (https://semver.org). While the major version is 0, a
/// minor release (0.2 -> 0.3) may change the public API; a patch release never does. From 1.0
/// on, only a major release may.
#pragma once

#include <string_view>

/// The major version; from 1.0 on, only a new major version may change the public API.
#define TALKORY_VERSION_MAJOR 0
/// The minor version; while the major version is 0, a new minor version may change the API.
#define TALKORY_VERSION_MINOR 2
/// The patch version; a new patch version never changes the public API.
#define TALKORY_VERSION_PATCH 0

/// "MAJOR.MINOR.PATCH" as a string literal.
#define TALKORY_VERSION_STRING "0.2.0"

/// MAJOR * 10000 + MINOR * 100 + PATCH, for preprocessor comparisons (0.2.0 is 200).
#define TALKORY_VERSION                                                                            \
  (TALKORY_VERSION_MAJOR * 10000 + TALKORY_VERSION_MINOR * 100 + TALKORY_VERSION_PATCH)

namespace talkory {

/// A version: of the headers a translation unit was compiled with (header_version()), or of
/// the library it was linked with (version()).
struct version_info {
  int major;             ///< TALKORY_VERSION_MAJOR
  int minor;             ///< TALKORY_VERSION_MINOR
  int patch;             ///< TALKORY_VERSION_PATCH
  std::string_view text; ///< "MAJOR.MINOR.PATCH": TALKORY_VERSION_STRING, a string literal
};

/// The version of the headers: constexpr, so it can be checked at compile time.
constexpr version_info header_version() noexcept {
  return {TALKORY_VERSION_MAJOR, TALKORY_VERSION_MINOR, TALKORY_VERSION_PATCH,
          TALKORY_VERSION_STRING};
}

/// The version of the library that was linked: differs from header_version() only when a
/// program is built against one release's headers and linked with another's library.
version_info version() noexcept;

} // namespace talkory

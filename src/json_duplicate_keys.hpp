// Finds a JSON object that names a key twice: parsers disagree on which value wins.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace talkory::detail {

/// The first key that appears twice in one object of `body`, if any. Meant for bodies that
/// already parse (it stops at the first syntax error and then reports nothing). Bounded: one
/// pass, each key hashed once; depth is whatever the parser's default allows.
std::optional<std::string> first_duplicate_key(std::string_view body);

} // namespace talkory::detail

/// @file
/// Server text made safe to show: for programs that print what the server sent (provider names,
/// statuses, request ids) to a terminal, a log line or a JSON document people read.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace talkory {

/// `text` safe to print: every character that can steer a terminal or reorder what a reader
/// sees (C0 and C1 controls, DEL, the bidirectional embeddings, overrides, isolates and marks,
/// U+2028 and U+2029) becomes '?', and so does every byte that is not well-formed UTF-8. At most
/// `max_characters` characters: a longer text keeps its first `max_characters - 3` and ends in
/// "..." (a bound below 4 only cuts, without the marker). The result never exceeds
/// 4 * max_characters bytes.
std::string printable(std::string_view text, std::size_t max_characters = 64);

/// The number of characters (code points; each byte outside UTF-8 counts as one) in `text`: the
/// columns a printable() text takes on a terminal, double-width and combining characters aside.
std::size_t printable_width(std::string_view text) noexcept;

/// `text` as a JSON string literal, quotes included, with the characters printable() replaces
/// written as `\uXXXX` escapes (and bytes that are not UTF-8 as `\ufffd`): valid JSON that shows
/// nothing raw to whoever reads it in a terminal. `"` and `\` are escaped, and backspace, form
/// feed, LF, CR and tab use their short escapes (`\b` `\f` `\n` `\r` `\t`). Other characters are
/// kept as they are. Unbounded: cut the text first (printable() does) if it may be long.
std::string json_quoted(std::string_view text);

} // namespace talkory

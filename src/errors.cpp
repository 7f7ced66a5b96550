// The error model: errc names and the "talkory" std::error_category (both read from
// errc_table.hpp), and api_error's log line.
#include <talkory/errors.hpp>

#include <ostream>
#include <string>

#include "errc_table.hpp"
#include "text.hpp"

namespace talkory {

namespace {

class talkory_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "talkory"; }

  std::string message(int value) const override {
    if (const auto* row = detail::find_errc_row(static_cast<errc>(value)))
      return std::string(row->summary) + ": " + std::string(row->advice);
    return "unknown talkory error " + std::to_string(value);
  }

  // Lets portable code test `ec == std::errc::timed_out` without knowing talkory's codes.
  std::error_condition default_error_condition(int value) const noexcept override {
    switch (static_cast<errc>(value)) {
    case errc::timeout:
      return std::make_error_condition(std::errc::timed_out);
    case errc::cancelled:
      return std::make_error_condition(std::errc::operation_canceled);
    default:
      return {value, *this};
    }
  }
};

} // namespace

std::string_view to_string(errc code) noexcept {
  if (const auto* row = detail::find_errc_row(code))
    return row->name;
  return "unknown_errc";
}

std::optional<errc> server_errc_from_string(std::string_view code) noexcept {
  for (std::size_t i = 0; i < detail::server_errc_count; ++i)
    if (detail::errc_rows[i].name == code)
      return detail::errc_rows[i].code;
  return std::nullopt;
}

const std::error_category& talkory_category() noexcept {
  static const talkory_category_impl category;
  return category;
}

std::error_code make_error_code(errc code) noexcept {
  return {static_cast<int>(code), talkory_category()};
}

namespace {

// Bounds on what describe() copies: the library's own messages (a server message of at most 512
// characters plus advice) fit, while an api_error filled by hand cannot make a line unbounded.
constexpr std::size_t max_described_message = 1024;
constexpr std::size_t max_described_cause = 256;

} // namespace

// The message, cause and request id go through append_one_line: control characters would break
// the one-line promise of describe(), and the server's text is untrusted and may contain CR/LF,
// terminal escapes or bidirectional overrides.
std::string api_error::describe() const {
  std::string out(to_string(code));
  if (http_status != 0) {
    out += " (HTTP ";
    out += std::to_string(http_status);
    out += ')';
  }
  out += ": ";
  if (!message.empty())
    detail::append_one_line(out, message, max_described_message);
  else
    out += talkory_category().message(static_cast<int>(code));
  if (retry_after) {
    out += "; retry after ";
    out += std::to_string(retry_after->count());
    out += 's';
  }
  if (cause) {
    out += "; cause: ";
    detail::append_one_line(out, cause.message(), max_described_cause);
    out += " [";
    out += cause.category().name();
    out += ':';
    out += std::to_string(cause.value());
    out += ']';
  }
  if (attempts > 1) {
    out += "; after ";
    out += std::to_string(attempts);
    out += " attempts";
  }
  if (!request_id.empty()) {
    out += " [request ";
    detail::append_one_line(out, request_id, detail::max_quoted_value);
    out += ']';
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, errc code) {
  return os << to_string(code);
}

std::ostream& operator<<(std::ostream& os, error_origin origin) {
  return os << (origin == error_origin::server ? "server" : "client");
}

std::ostream& operator<<(std::ostream& os, const api_error& error) {
  return os << error.describe();
}

} // namespace talkory

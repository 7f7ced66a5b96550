// health_report helpers: status names, lookups, the ISO 8601 formatter and the summary printer.
#include <talkory/health.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ostream>

#include "text.hpp"

namespace talkory {

namespace {

// The documented words, indexed by enumerator; the decoder reads them back through to_string.
constexpr std::array<std::string_view, 3> health_words{"ok", "degraded", "unknown"};
constexpr std::array<std::string_view, 3> provider_words{"ok", "error", "unknown"};

template <class Status, std::size_t N>
std::string_view word_of(const std::array<std::string_view, N>& words, Status s) noexcept {
  const auto index = static_cast<std::size_t>(s);
  return index < words.size() ? words[index] : "unknown";
}

} // namespace

std::string_view to_string(health_status s) noexcept {
  return word_of(health_words, s);
}

std::string_view to_string(provider_status s) noexcept {
  return word_of(provider_words, s);
}

const provider_health* health_report::find(std::string_view name) const noexcept {
  const auto it = std::ranges::find(providers, name, &provider_health::name);
  return it == providers.end() ? nullptr : &*it;
}

bool health_report::all_ok() const noexcept {
  return status == health_status::ok &&
         std::ranges::all_of(
             providers, [](const provider_health& p) { return p.status == provider_status::ok; });
}

std::string format_iso8601(std::chrono::sys_time<std::chrono::milliseconds> t) {
  using namespace std::chrono;
  // floor, not duration_cast: times before 1970 must still land on the right day.
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> tod{t - day};
  char buffer[48];
  const int n = std::snprintf(
      buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
      static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
      static_cast<int>(tod.seconds().count()), static_cast<int>(tod.subseconds().count()));
  return std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
}

namespace {

// An unknown status prints the server's own word so that nothing is lost in the summary.
template <class Status>
void print_status(std::ostream& os, Status status, const std::string& raw) {
  if (status == Status::unknown && !raw.empty())
    os << "unknown(\"" << detail::short_printable(raw) << "\")";
  else
    os << to_string(status);
}

} // namespace

std::ostream& operator<<(std::ostream& os, health_status s) {
  return os << to_string(s);
}

std::ostream& operator<<(std::ostream& os, provider_status s) {
  return os << to_string(s);
}

// Names, statuses and the request id come from the server: printed bounded (in length and in
// count) and without control characters, so that a hostile response can neither forge lines in a
// log nor flood it.
std::ostream& operator<<(std::ostream& os, const health_report& report) {
  print_status(os, report.status, report.raw_status);
  os << " at " << format_iso8601(report.checked_at) << ':';
  if (report.providers.empty())
    os << " no providers";
  const auto shown = std::min(report.providers.size(), detail::max_listed_items);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& p = report.providers[i];
    os << (i == 0 ? " " : ", ") << detail::short_printable(p.name) << ' ';
    print_status(os, p.status, p.raw_status);
  }
  if (shown < report.providers.size())
    os << ", " << detail::more_items(report.providers.size() - shown);
  if (!report.meta.request_id.empty())
    os << " [request " << detail::short_printable(report.meta.request_id) << ']';
  return os;
}

} // namespace talkory

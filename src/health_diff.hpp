// What changed between two health reports: per-provider transitions and the overall status,
// compared on the server's own strings. Pure functions, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <talkory/health.hpp>
#include <talkory/watch.hpp>

namespace talkory::detail {

/// A report reduced to what the watcher compares: status strings as the server sent them.
struct status_view {
  std::string overall;
  std::vector<std::pair<std::string, std::string>> providers; // name, status; server order

  /// The status of `name`, or nullptr when it is absent.
  const std::string* find(std::string_view name) const noexcept;

  friend bool operator==(const status_view&, const status_view&) = default;
};

/// The server's string for a status (the parsed name when the server's was not kept).
std::string status_text(const provider_health& provider);
std::string status_text(const health_report& report);

/// The report's statuses; a provider listed twice keeps its first entry.
status_view view_of(const health_report& report);

/// Providers whose status differs between `before` and `after`, in `after`'s order, followed by
/// the ones only `before` lists (they disappeared) in `before`'s order.
std::vector<provider_transition> diff_providers(const status_view& before,
                                                const status_view& after);

/// `before`'s overall status when it differs from `after`'s.
std::optional<std::string> overall_change(const status_view& before, const status_view& after);

} // namespace talkory::detail

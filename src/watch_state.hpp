// The watcher's decisions, without I/O or clocks: which event (if any) a poll produces, with
// hysteresis per provider and the recovered rule. The caller passes the time it observed.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>

#include <talkory/errors.hpp>
#include <talkory/health.hpp>
#include <talkory/watch.hpp>

#include "health_diff.hpp"

namespace talkory::detail {

using observed_time = std::chrono::sys_time<std::chrono::milliseconds>;

/// - The first good report is a `snapshot` at once, whatever `confirmations` says.
/// - Then a provider's (or the overall) status that differs from the confirmed one becomes a
///   transition once it has been seen in `confirmations` consecutive good reports; a report
///   that shows the confirmed status again, or yet another status, restarts the count. Failed
///   polls neither count nor break a run: they say nothing about the providers.
/// - A good report after one or more failed ones (and after the snapshot) is `recovered`, with
///   the transitions it confirms (possibly none); otherwise transitions make a `change` and a
///   report without any makes no event.
/// - Every failed poll is an `error` event.
class watch_state {
public:
  explicit watch_state(std::size_t confirmations);

  std::optional<health_event> on_report(health_report report, observed_time observed_at);
  health_event on_error(api_error error, observed_time observed_at);

  /// What readers have been told so far; nullopt before the snapshot.
  const std::optional<status_view>& confirmed() const noexcept { return confirmed_; }

private:
  struct candidate {
    std::optional<std::string> status; // nullopt: absent
    std::size_t polls = 0;
  };

  /// True when `observed` (differing from the confirmed status) has now held long enough.
  bool confirm(candidate& c, const std::optional<std::string>& observed) const;

  std::size_t confirmations_;
  std::optional<status_view> confirmed_;
  std::unordered_map<std::string, candidate> providers_pending_;
  candidate overall_pending_;
  bool failing_ = false;
};

} // namespace talkory::detail

// A real redis-server for the fleet tests: on 127.0.0.1, on a free port, persistence off, its
// directory a fresh temporary one; ready once it answers PING (a bounded poll), stopped by its pid.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

namespace talkory::test {

class redis_server {
public:
  /// Starts redis-server on `port` (0: a free one, found by binding). Throws std::runtime_error
  /// when it does not answer PING within 10 s.
  explicit redis_server(std::uint16_t port = 0);
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  /// SIGKILL, then reaps it: Redis gone without a goodbye, as a crash would leave it.
  void kill();
  /// Starts it again on the same port (after kill()).
  void restart();
  /// SIGSTOP / SIGCONT: a Redis that accepts bytes and answers nothing (a slow or hung one).
  void pause();
  void resume();

  /// Runs one command synchronously (hiredis's blocking API, for the test's own checks) and
  /// returns the reply's strings flattened: a string or status itself, an integer as text, an
  /// array element by element (nested arrays flattened too), nil as "(nil)".
  std::vector<std::string> command(const std::vector<std::string>& args) const;

  /// True when redis-server can be started here (it is on PATH).
  static bool available();

private:
  void start();
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string dir_;
};

/// A free TCP port on 127.0.0.1, found by binding to port 0 (redis-server has no --port 0).
std::uint16_t free_port();

} // namespace talkory::test

// A program under test as a child process: its standard output and error read line by line
// within time bounds, signals sent to it, its exit status awaited within a bound. POSIX only.
#pragma once

#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace talkory::test {

class child_process {
public:
  using milliseconds = std::chrono::milliseconds;

  /// Starts argv[0] (a path) with the current environment, minus `unset`, plus `set`.
  explicit child_process(std::vector<std::string> argv,
                         std::vector<std::pair<std::string, std::string>> set = {},
                         std::vector<std::string> unset = {}) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);

    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
      const std::string entry = *e;
      const auto name = entry.substr(0, entry.find('='));
      bool drop = false;
      for (const auto& u : unset)
        drop = drop || u == name;
      for (const auto& s : set)
        drop = drop || s.first == name;
      if (!drop)
        env.push_back(entry);
    }
    for (const auto& [name, value] : set)
      env.push_back(name + "=" + value);
    std::vector<char*> envp, args;
    for (auto& e : env)
      envp.push_back(e.data());
    envp.push_back(nullptr);
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);

    const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    out_ = out[0];
    err_ = err[0];
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
  }

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  ~child_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    close_fd(out_);
    close_fd(err_);
  }

  /// The next line of standard output (without its newline), or nothing when none came within
  /// `bound` (or the output ended).
  std::optional<std::string> read_line(milliseconds bound) {
    const auto give_up = std::chrono::steady_clock::now() + bound;
    for (;;) {
      if (const auto nl = out_buffer_.find('\n'); nl != std::string::npos) {
        auto line = out_buffer_.substr(0, nl);
        out_buffer_.erase(0, nl + 1);
        return line;
      }
      if (out_ < 0 || !pump(give_up))
        return std::nullopt;
    }
  }

  void send(int signal_number) const {
    if (pid_ > 0)
      ::kill(pid_, signal_number);
  }

  /// Reads both outputs to their end, then reaps the child: its exit status, or 128 + signal
  /// when a signal ended it, or nothing (after killing it) when that took longer than `bound`.
  std::optional<int> wait(milliseconds bound) {
    const auto give_up = std::chrono::steady_clock::now() + bound;
    while (out_ >= 0 || err_ >= 0) {
      if (!pump(give_up)) {
        ::kill(pid_, SIGKILL);
        break;
      }
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    const bool timed_out = out_ >= 0 || err_ >= 0;
    pid_ = -1;
    if (timed_out)
      return std::nullopt;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  /// Everything read so far and not yet returned by read_line().
  const std::string& pending_output() const { return out_buffer_; }
  const std::string& error_output() const { return err_buffer_; }

private:
  static void close_fd(int& fd) {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
  }

  /// Waits for either output to have data (or end) and reads it; false at the deadline.
  bool pump(std::chrono::steady_clock::time_point give_up) {
    pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
    const auto left =
        std::chrono::duration_cast<milliseconds>(give_up - std::chrono::steady_clock::now());
    if (left <= milliseconds::zero())
      return false;
    const int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0)
      return errno == EINTR;
    if (ready == 0)
      return false;
    drain(fds[0], out_, out_buffer_);
    drain(fds[1], err_, err_buffer_);
    return true;
  }

  static void drain(const pollfd& p, int& fd, std::string& buffer) {
    if (fd < 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
      return;
    char chunk[4096];
    const auto n = ::read(fd, chunk, sizeof chunk);
    if (n > 0)
      buffer.append(chunk, static_cast<std::size_t>(n));
    else
      close_fd(fd);
  }

  pid_t pid_ = -1;
  int out_ = -1;
  int err_ = -1;
  std::string out_buffer_;
  std::string err_buffer_;
};

/// The path an environment variable names (set by CMake for these tests).
inline std::string program_path(const char* variable) {
  const char* value = std::getenv(variable);
  if (!value || !*value)
    throw std::runtime_error(std::string(variable) + " is not set: run these tests through ctest");
  return value;
}

} // namespace talkory::test

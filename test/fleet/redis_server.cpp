// redis-server as a child process of the fleet tests.
#include "fleet/redis_server.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <hiredis/hiredis.h>

namespace talkory::test {

namespace {

void flatten(const redisReply& r, std::vector<std::string>& out) {
  switch (r.type) {
  case REDIS_REPLY_ARRAY:
    for (std::size_t i = 0; i < r.elements; ++i)
      flatten(*r.element[i], out);
    break;
  case REDIS_REPLY_INTEGER:
    out.push_back(std::to_string(r.integer));
    break;
  case REDIS_REPLY_NIL:
    out.push_back("(nil)");
    break;
  default:
    out.emplace_back(r.str, r.len);
  }
}

} // namespace

std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, {boost::asio::ip::make_address("127.0.0.1"), 0}); // closed on return: the port is free
  return acceptor.local_endpoint().port();
}

bool redis_server::available() {
  return std::system("command -v redis-server >/dev/null 2>&1") == 0;
}

redis_server::redis_server(std::uint16_t port) : port_(port == 0 ? free_port() : port) {
  char dir[] = "/tmp/talkory-fleet-redis-XXXXXX";
  if (mkdtemp(dir) == nullptr)
    throw std::runtime_error("cannot create a temporary directory for redis-server");
  dir_ = dir;
  start();
}

redis_server::~redis_server() {
  resume();
  kill();
  const std::string cleanup = "rm -rf '" + dir_ + "'";
  [[maybe_unused]] const int rc = std::system(cleanup.c_str());
}

void redis_server::start() {
  const std::string port = std::to_string(port_);
  std::vector<std::string>
      argv{"redis-server", "--port",    port, "--bind",
           "127.0.0.1",    "--save",    "",   "--appendonly",
           "no",           "--dir",     dir_, "--daemonize",
           "no",           "--logfile", ""}; // the log on stdout: its "Ready to accept connections"
                                             // line is the event waited for
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  // fork + exec rather than posix_spawn, for PR_SET_PDEATHSIG: a test killed by CTest's timeout
  // must not leave its redis-server behind (the signal follows the forking thread: the tests run
  // on the main thread). Only async-signal-safe calls between fork and exec.
  const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  int log[2];
  if (pipe2(log, O_CLOEXEC) != 0)
    throw std::runtime_error("cannot start redis-server (pipe failed)");
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(127); // the parent is already gone
    dup2(devnull, 0);
    dup2(log[1], 1);
    execvp("redis-server", args.data());
    _exit(127);
  }
  ::close(log[1]);
  if (devnull >= 0)
    ::close(devnull);
  if (pid_ < 0) {
    ::close(log[0]);
    throw std::runtime_error("cannot start redis-server (fork failed)");
  }
  // Wait for the readiness line, bounded: redis-server is up within milliseconds; 10 s covers a
  // loaded CI machine. Closing the pipe afterwards is safe: redis-server ignores SIGPIPE.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string output;
  bool ready = false;
  while (!ready && output.size() < 65536) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        give_up - std::chrono::steady_clock::now());
    pollfd p{log[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      break;
    char chunk[512];
    const auto n = ::read(log[0], chunk, sizeof chunk);
    if (n <= 0)
      break; // redis-server exited
    output.append(chunk, static_cast<std::size_t>(n));
    ready = output.find("Ready to accept connections") != std::string::npos;
  }
  ::close(log[0]);
  try {
    if (ready && command({"PING"}) == std::vector<std::string>{"PONG"})
      return;
  } catch (const std::runtime_error&) {
    // falls through: stopped below, reported with its output
  }
  kill();
  throw std::runtime_error("redis-server did not become ready on port " + port +
                           " within 10 s: " + output.substr(0, 2000));
}

void redis_server::kill() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void redis_server::restart() {
  kill();
  start();
}

void redis_server::pause() {
  if (pid_ > 0)
    ::kill(pid_, SIGSTOP);
}

void redis_server::resume() {
  if (pid_ > 0)
    ::kill(pid_, SIGCONT);
}

std::vector<std::string> redis_server::command(const std::vector<std::string>& args) const {
  const timeval bound{2, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, bound);
  if (c == nullptr || c->err) {
    if (c != nullptr)
      redisFree(c);
    throw std::runtime_error("cannot connect to redis-server");
  }
  redisSetTimeout(c, bound);
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (reply == nullptr) {
    redisFree(c);
    throw std::runtime_error("redis-server did not answer");
  }
  std::vector<std::string> out;
  flatten(*reply, out);
  freeReplyObject(reply);
  redisFree(c);
  return out;
}

} // namespace talkory::test

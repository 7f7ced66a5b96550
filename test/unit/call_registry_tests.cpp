// The registry of live calls: close() stops exactly the calls opened and not yet finished,
// whatever order they finish in, and refuses new ones.
#include <boost/test/unit_test.hpp>

#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "call_registry.hpp"

using talkory::detail::call_registry;
using talkory::detail::call_state;

namespace {

// A call listed in `registry`, or null when it refuses (closed).
std::shared_ptr<call_state> open_call(call_registry& registry, boost::asio::io_context& ioc) {
  auto call = std::make_shared<call_state>(ioc.get_executor());
  return registry.open(call) ? call : nullptr;
}

// Opens `n` calls, finishes those whose index `finished` says, closes, and runs what close()
// posted: which calls were stopped, by index.
std::vector<bool> stopped_after_close(std::size_t n, const std::vector<std::size_t>& finished) {
  boost::asio::io_context ioc;
  call_registry registry;
  std::vector<std::shared_ptr<call_state>> calls;
  for (std::size_t i = 0; i < n; ++i)
    calls.push_back(open_call(registry, ioc));
  for (const auto i : finished)
    registry.finish(*calls[i]);
  registry.close();
  ioc.run();
  std::vector<bool> stopped;
  for (const auto& call : calls)
    stopped.push_back(call->cancelled);
  return stopped;
}

} // namespace

BOOST_AUTO_TEST_SUITE(call_registry_tests)

BOOST_AUTO_TEST_CASE(close_stops_the_calls_not_finished) {
  using v = std::vector<bool>;
  BOOST_TEST(stopped_after_close(3, {}) == v({true, true, true}), boost::test_tools::per_element());
  BOOST_TEST(stopped_after_close(3, {1}) == v({true, false, true}),
             boost::test_tools::per_element());
  BOOST_TEST(stopped_after_close(3, {0}) == v({false, true, true}),
             boost::test_tools::per_element());
  BOOST_TEST(stopped_after_close(3, {2}) == v({true, true, false}),
             boost::test_tools::per_element());
  BOOST_TEST(stopped_after_close(4, {2, 0, 3}) == v({false, true, false, false}),
             boost::test_tools::per_element());
  BOOST_TEST(stopped_after_close(3, {1, 0}) == v({false, false, true}),
             boost::test_tools::per_element());
  BOOST_TEST(stopped_after_close(3, {1, 2}) == v({true, false, false}),
             boost::test_tools::per_element());
  BOOST_TEST(stopped_after_close(3, {0, 1, 2}) == v({false, false, false}),
             boost::test_tools::per_element());
  // A second finish of the same call leaves the others listed.
  BOOST_TEST(stopped_after_close(3, {1, 1}) == v({true, false, true}),
             boost::test_tools::per_element());
}

// A call whose completion never ran (its io_context was destroyed with the call pending) is let
// go without finish(): it leaves the list as it goes, and close() stops the others only.
BOOST_AUTO_TEST_CASE(a_call_released_without_finishing_leaves_the_list) {
  boost::asio::io_context ioc;
  call_registry registry;
  std::vector<std::shared_ptr<call_state>> calls;
  for (int i = 0; i < 4; ++i)
    calls.push_back(open_call(registry, ioc));
  calls[2].reset();
  calls[0].reset();
  registry.close();
  ioc.run();
  BOOST_TEST(calls[1]->cancelled);
  BOOST_TEST(calls[3]->cancelled);
}

// The registry may go first: the calls keep the list they are in.
BOOST_AUTO_TEST_CASE(a_call_may_outlive_its_registry) {
  boost::asio::io_context ioc;
  auto registry = std::make_unique<call_registry>();
  auto call = open_call(*registry, ioc);
  auto other = open_call(*registry, ioc);
  registry.reset();
  other.reset(); // unlinks itself from the list that `call` still shares
  BOOST_TEST(call->registry_list.use_count() == 1);
  call.reset(); // and so does the last one (under ASan: no use of freed memory)
}

BOOST_AUTO_TEST_CASE(no_call_opens_after_close) {
  boost::asio::io_context ioc;
  call_registry registry;
  BOOST_TEST(!registry.closed());
  registry.close();
  BOOST_TEST(registry.closed());
  BOOST_TEST(open_call(registry, ioc) == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

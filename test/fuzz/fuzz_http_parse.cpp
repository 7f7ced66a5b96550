// Raw bytes from the socket → Beast's response_parser with the client's default limits (as in
// connection::exchange) → the decoder the pipeline would call. The first byte picks how the bytes
// are split into reads, so that the parser's resumption across reads is exercised too.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include <talkory/options.hpp>

#include "error_decoder.hpp"
#include "fuzz_checks.hpp"
#include "health_decoder.hpp"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using talkory_fuzz::check;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  // 1..256 bytes per read; 0 means everything in one read.
  const std::size_t chunk = data[0] == 0 ? size : data[0];
  ++data;
  --size;

  const talkory::client_options defaults{};
  // The connection's parser type: its fields and body use the allocator the client parses into.
  http::response_parser<talkory::detail::http_body, talkory::detail::resource_allocator<char>>
      parser;
  parser.header_limit(
      static_cast<std::uint32_t>(std::min<std::size_t>(defaults.max_response_header, UINT32_MAX)));
  parser.body_limit(defaults.max_response_body);

  // What http::read does: append what arrived to the buffer, let the parser consume what it can.
  beast::flat_buffer buffer;
  std::size_t offset = 0;
  beast::error_code ec;
  while (!parser.is_done()) {
    if (offset == size) {
      parser.put_eof(ec); // the peer closed the connection
      break;
    }
    const std::size_t n = std::min(chunk, size - offset);
    auto dest = buffer.prepare(n);
    std::memcpy(dest.data(), data + offset, n);
    buffer.commit(n);
    offset += n;
    for (;;) {
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == http::error::need_more) {
        ec = {};
        break;
      }
      if (ec || parser.is_done() || used == 0)
        break;
    }
    if (ec)
      break;
  }
  if (ec || !parser.is_done())
    return 0; // a transport error (invalid_response / response_too_large), not the codec's input

  const auto& response = parser.get();
  check(response.body().size() <= defaults.max_response_body, "the body limit was not enforced");
  const int status = static_cast<int>(response.result_int());
  // A fixed clock reading: the decoders take "now" as a parameter, and an input must replay alike.
  const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1'782'554'400}};
  if (status >= 200 && status <= 299) {
    const auto report = talkory::detail::decode_health_response(response, now);
    if (report) {
      std::ostringstream os;
      os << *report;
    } else {
      talkory_fuzz::check_api_error(report.error(), status);
    }
  } else {
    talkory_fuzz::check_api_error(talkory::detail::decode_error_response(response, now), status);
  }
  return 0;
}

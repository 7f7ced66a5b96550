/// @file
/// Everything a user of the talkory client needs: one include for the client, its options,
/// results and errors, the health watcher and the text helpers. The mock server for tests is
/// separate: `<talkory/testing/mock_server.hpp>` (CMake target `talkory::testing`).
#pragma once

#include <talkory/client.hpp>
#include <talkory/errors.hpp>
#include <talkory/health.hpp>
#include <talkory/observability.hpp>
#include <talkory/options.hpp>
#include <talkory/printable.hpp>
#include <talkory/prometheus.hpp>
#include <talkory/result.hpp>
#include <talkory/stats.hpp>
#include <talkory/watch.hpp>

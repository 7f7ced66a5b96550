// Everything a user of the talkory client needs.
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

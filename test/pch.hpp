// Precompiled header of the test executables: Boost.Test and the heavy headers the library's
// private headers pull in. Included by CMake (never by hand); the suites' main.cpp files define
// BOOST_TEST_MODULE before including Boost.Test, so they are built without it.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

// Boost.JSON and Boost.URL built from source into the fuzzers, instrumented like the codec.
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>

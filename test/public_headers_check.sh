#!/bin/sh
# Each public header compiles on its own and pulls in neither Beast nor OpenSSL (nor Asio's SSL
# layer, which includes OpenSSL): a consumer's translation unit stays light. A private header
# that does include Beast is checked the same way first, so the check itself can be seen to bite.
# Usage: public_headers_check.sh CXX PUBLIC_INCLUDE_DIR PRIVATE_HEADER [compiler flags...]
cxx=$1; include_dir=$2; control=$3; shift 3
forbidden='^# [0-9]+ "[^"]*/(boost/beast|openssl|boost/asio/ssl|hiredis)/'

includes_forbidden() { # header path as #include'd; extra -I flags
  header=$1; shift
  printf '#include <%s>\n' "$header" | "$cxx" -std=c++23 -x c++ -E "$@" - | grep -Eq "$forbidden"
}

if ! includes_forbidden "$control" -I"$include_dir" "$@"; then
  echo "FAILED: the check does not see Beast or OpenSSL in $control"; exit 1
fi
status=0
for header in talkory.hpp $(cd "$include_dir" && find talkory -name '*.hpp' | sort); do
  if ! printf '#include <%s>\n' "$header" |
       "$cxx" -std=c++23 -x c++ -fsyntax-only -I"$include_dir" "$@" -; then
    echo "FAILED: <$header> does not compile on its own"; status=1
  elif includes_forbidden "$header" -I"$include_dir" "$@"; then
    echo "FAILED: <$header> pulls in Beast or OpenSSL"; status=1
  else
    echo "ok: <$header>"
  fi
done
exit $status

// talkory-bench's fleet mode (--redis): P processes sharing one key's rate limit through Redis,
// against the embedded mock server counting requests over sliding windows.
#pragma once

namespace talkory::bench {

/// True when the arguments ask for the fleet run (--redis, or the hidden --fleet-child).
bool is_fleet_run(int argc, char** argv);

/// The fleet run's whole program: parses its own flags, prints, returns the exit status.
int fleet_main(int argc, char** argv);

} // namespace talkory::bench

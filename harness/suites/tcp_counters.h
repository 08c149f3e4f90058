// The kernel's TCP counters of /proc/net/netstat (the TcpExt lines, what `nstat` and `netstat -s` show),
// read before and after a burst so that a check can say why connections went unanswered. The counters are
// per network namespace, not per socket: anything else on the machine that overflows a listener meanwhile
// is counted too, and messages say so.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace sockspec::suites {

using TcpExtCounters = std::map<std::string, std::uint64_t, std::less<>>;

// The TcpExt counters of a /proc/net/netstat text (a header line of names, then a line of values), by name
// ("ListenOverflows"). Fails naming what is malformed: no TcpExt lines, or names and values that differ in
// number.
Expected<TcpExtCounters, std::string> parseTcpExtCounters(std::string_view netstat);

// parseTcpExtCounters of /proc/net/netstat now; the error names the file.
Expected<TcpExtCounters, std::string> readTcpExtCounters();

// after[name] - before[name]; 0 when either lacks it (an older kernel) or the counter went backwards.
std::uint64_t counterIncrease(const TcpExtCounters& before, const TcpExtCounters& after,
                              std::string_view name);

}  // namespace sockspec::suites

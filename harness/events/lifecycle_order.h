// Checks the order of socket calls in an --events log (docs/events.md) against the lifecycle the socket API
// allows: socket -> [bind] -> listen -> accept..., socket -> [bind] -> connect -> send/recv... -> [shutdown]
// -> close, and nothing on a descriptor after its close. Each process (pid) is followed separately; a
// descriptor number reused after close starts a new life.
#pragma once

#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace sockspec::events {

struct OrderViolation {
  std::size_t line = 0;  // 1-based line of the log
  std::string message;   // "send on fd 7 after close (line 12)"
};

struct OrderReport {
  std::size_t calls = 0;  // call records read
  std::vector<OrderViolation> violations;
  std::vector<OrderViolation> unreadable;  // lines that are not JSON objects of the documented shape
};

// Reads the whole log; never throws. At most `maxViolations` of each kind are kept.
OrderReport checkLifecycleOrder(std::istream& log, std::size_t maxViolations = 50);

// "3 of 40 calls out of order; first: send on fd 9 after its close (line 12)"; nullopt when none is.
std::optional<std::string> describeOutOfOrder(const OrderReport& report);

}  // namespace sockspec::events

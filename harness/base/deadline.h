// Deadline: a point on the monotonic clock that every blocking wait in sockspec is bounded by.
#pragma once

#include <algorithm>
#include <chrono>
#include <climits>

namespace sockspec {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  static Deadline after(std::chrono::milliseconds timeout) { return Deadline(Clock::now() + timeout); }
  static Deadline at(Clock::time_point when) { return Deadline(when); }

  bool expired() const { return Clock::now() >= m_when; }
  Clock::time_point when() const { return m_when; }

  std::chrono::milliseconds remaining() const {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(m_when - Clock::now());
    return std::max(left, std::chrono::milliseconds(0));
  }

  // The timeout argument for poll(2)/epoll_wait(2): never negative (that would mean "forever").
  int pollTimeoutMs() const {
    auto left = remaining().count();
    return static_cast<int>(std::min<long long>(left, INT_MAX));
  }

  // The earlier of two deadlines.
  Deadline orEarlier(Deadline other) const { return Deadline(std::min(m_when, other.m_when)); }

 private:
  explicit Deadline(Clock::time_point when) : m_when(when) {}
  Clock::time_point m_when;
};

}  // namespace sockspec

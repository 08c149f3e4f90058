// A value or an error, for calls whose failure is an ordinary outcome (a peer refused, a file is malformed).
// C++23's std::expected is not in g++ 12's C++20 mode; this is the part of it sockspec needs.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <utility>
#include <variant>

namespace sockspec {

// Wraps an error so that Expected<T, E> can be built from it even when T and E convert into each other.
template <typename E>
struct Unexpected {
  E error;
};
template <typename E>
Unexpected(E) -> Unexpected<E>;

namespace detail {
[[noreturn]] inline void badExpectedAccess(const char* what) {
  // Reading the value of a failed result is a programming error, like dereferencing an empty optional.
  std::fprintf(stderr, "sockspec: internal error: %s\n", what);
  std::abort();
}
}  // namespace detail

template <typename T, typename E>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : m_state(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Expected(Unexpected<E> failure) : m_state(std::in_place_index<1>, std::move(failure.error)) {}  // NOLINT

  bool ok() const noexcept { return m_state.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    if (!ok()) detail::badExpectedAccess("value() of a failed result");
    return std::get<0>(m_state);
  }
  const T& value() const& {
    if (!ok()) detail::badExpectedAccess("value() of a failed result");
    return std::get<0>(m_state);
  }
  T&& value() && {
    if (!ok()) detail::badExpectedAccess("value() of a failed result");
    return std::get<0>(std::move(m_state));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const {
    if (ok()) detail::badExpectedAccess("error() of a successful result");
    return std::get<1>(m_state);
  }

 private:
  std::variant<T, E> m_state;
};

// Success carries nothing: only the error is interesting.
template <typename E>
class [[nodiscard]] Expected<void, E> {
 public:
  Expected() = default;
  Expected(Unexpected<E> failure) : m_error(std::move(failure.error)), m_failed(true) {}  // NOLINT

  bool ok() const noexcept { return !m_failed; }
  explicit operator bool() const noexcept { return ok(); }
  const E& error() const {
    if (!m_failed) detail::badExpectedAccess("error() of a successful result");
    return m_error;
  }

 private:
  E m_error{};
  bool m_failed = false;
};

}  // namespace sockspec

// SysError: an errno captured together with the name of the call that set it, and Result<T>, the return
// type of every call in the socket layer.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace sockspec {

struct SysError {
  int code = 0;                // the errno value
  std::string_view call = "";  // the failing call, a string literal ("connect", "bind")

  // "connect: ECONNREFUSED (Connection refused)"
  std::string describe() const;
  bool operator==(const SysError&) const = default;
};

template <typename T>
using Result = Expected<T, SysError>;

// The current errno as a failed result of `call`. Call it straight after the failing syscall.
inline Unexpected<SysError> lastError(std::string_view call) { return Unexpected{SysError{errno, call}}; }
inline Unexpected<SysError> failWith(int code, std::string_view call) {
  return Unexpected{SysError{code, call}};
}

}  // namespace sockspec

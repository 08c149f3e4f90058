#include "base/errno_names.h"

#include <string.h>  // strerrorname_np, strerrordesc_np (glibc >= 2.32)

#include <fmt/format.h>

#include "base/sys_error.h"

namespace sockspec {

namespace {
// glibc's errno values are all below this; the table is searched only for name -> value.
constexpr int kLargestErrno = 200;
}  // namespace

std::string errnoName(int code) {
  if (const char* name = ::strerrorname_np(code)) return name;
  return fmt::format("E#{}", code);
}

std::string errnoDescription(int code) {
  if (const char* text = ::strerrordesc_np(code)) return text;
  return fmt::format("Unknown error {}", code);
}

std::optional<int> errnoFromName(std::string_view name) {
  for (int code = 1; code < kLargestErrno; ++code) {
    const char* candidate = ::strerrorname_np(code);
    if (candidate != nullptr && name == candidate) return code;
  }
  return std::nullopt;
}

std::string SysError::describe() const {
  return fmt::format("{}: {} ({})", call, errnoName(code), errnoDescription(code));
}

}  // namespace sockspec

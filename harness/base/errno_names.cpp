#include "base/errno_names.h"

#include <string.h>  // strerrorname_np, strerrordesc_np (glibc >= 2.32)

#include <cerrno>
#include <utility>

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
  // Names that share a value with another: strerrorname_np() gives only the other (errno(3)).
  constexpr std::pair<std::string_view, int> kAliases[] = {
      {"EWOULDBLOCK", EWOULDBLOCK}, {"ENOTSUP", ENOTSUP}, {"EDEADLOCK", EDEADLOCK}};
  for (const auto& [alias, code] : kAliases) {
    if (name == alias) return code;
  }
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

// errno values as their symbolic names, both ways, so that messages and scenario files say ECONNRESET
// rather than 104.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sockspec {

// "ECONNREFUSED" for ECONNREFUSED; "E#<n>" for a value glibc has no name for.
std::string errnoName(int code);

// "Connection refused"; "Unknown error <n>" when glibc has no description.
std::string errnoDescription(int code);

// ECONNRESET for "ECONNRESET"; nullopt for a name that is not an errno on this system.
std::optional<int> errnoFromName(std::string_view name);

}  // namespace sockspec

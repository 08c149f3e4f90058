#include <array>

#include "scenario/scenario.h"

namespace sockspec::scenario {

namespace {
struct FamilyEntry {
  Family family;
  std::string_view name;
};
constexpr std::array kFamilies{
    FamilyEntry{Family::Tcp4, "tcp4"},          FamilyEntry{Family::Tcp6, "tcp6"},
    FamilyEntry{Family::Unix, "unix"},          FamilyEntry{Family::Udp4, "udp4"},
    FamilyEntry{Family::Udp6, "udp6"},          FamilyEntry{Family::UnixDgram, "unix-dgram"},
    FamilyEntry{Family::UnixSeqpacket, "unix-seqpacket"},
};
}  // namespace

std::string_view familyName(Family family) {
  for (const auto& entry : kFamilies) {
    if (entry.family == family) return entry.name;
  }
  return "?";
}

std::optional<Family> familyFromName(std::string_view name) {
  for (const auto& entry : kFamilies) {
    if (entry.name == name) return entry.family;
  }
  return std::nullopt;
}

}  // namespace sockspec::scenario

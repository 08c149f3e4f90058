// The services sockspec speaks and checks: RFC 862 echo, RFC 863 discard, RFC 864 chargen, RFC 867 daytime
// and the framed protocol (docs/framed-protocol.md). One type and one list of names for the reference
// server, the reference client, the service suites' targets and black-box fuzzing.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace sockspec::proto {

enum class Service { Echo, Discard, Chargen, Daytime, Framed };

inline constexpr std::array<Service, 5> kAllServices{Service::Echo, Service::Discard, Service::Chargen,
                                                     Service::Daytime, Service::Framed};

// "echo", "discard", "chargen", "daytime", "framed".
constexpr std::string_view serviceName(Service service) {
  switch (service) {
    case Service::Echo: return "echo";
    case Service::Discard: return "discard";
    case Service::Chargen: return "chargen";
    case Service::Daytime: return "daytime";
    case Service::Framed: return "framed";
  }
  return "?";
}

constexpr std::optional<Service> serviceFromName(std::string_view name) {
  for (Service service : kAllServices) {
    if (serviceName(service) == name) return service;
  }
  return std::nullopt;
}

}  // namespace sockspec::proto

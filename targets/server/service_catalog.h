// The services and deliberate faults of the reference server, each defined once with its name and help text
// (the command line, the docs and the tests all read these tables).
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace sockspec::server {

enum class Service { Echo, Discard, Chargen, Daytime, Framed };

// Deliberately wrong variants: each reproduces a mistake the tutorial invites, for the runner's checks to catch.
enum class Fault {
  None,
  OneRecv,
  TruncateDgram,
  CloseListenerFirst,
  NoHalfClose,
  RstOnClose,
  CrashOnBytes,
  HangOnBytes,
  LeakFd,
};

struct ServiceEntry {
  Service service;
  std::string_view name;
  std::string_view help;
};
struct FaultEntry {
  Fault fault;
  std::string_view name;
  std::string_view help;
};

std::span<const ServiceEntry> serviceTable();
std::span<const FaultEntry> faultTable();

std::optional<Service> serviceFromName(std::string_view name);
std::optional<Fault> faultFromName(std::string_view name);
std::string_view serviceName(Service service);
std::string_view faultName(Fault fault);

}  // namespace sockspec::server

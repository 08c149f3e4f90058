// The services and deliberate faults of the reference server, each defined once with its name and help text
// (the command line, the docs and the tests all read these tables).
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "proto/service.h"

namespace sockspec::server {

// The service type and its names are proto's (proto/service.h); the server adds its help text.
using proto::Service;

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
  CloseWithoutReading,
};

struct ServiceEntry {
  Service service;
  std::string_view name;  // proto::serviceName(service): the names are spelled once, in proto/service.h
  std::string_view help;
};
struct FaultEntry {
  Fault fault;
  std::string_view name;
  std::string_view help;
};

std::span<const ServiceEntry> serviceTable();
std::span<const FaultEntry> faultTable();

using proto::serviceFromName;
std::optional<Fault> faultFromName(std::string_view name);
using proto::serviceName;
std::string_view faultName(Fault fault);

}  // namespace sockspec::server

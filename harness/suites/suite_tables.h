// The check table of each suite, one per file (echo_suite.cpp, ...). Internal to the suites library.
#pragma once

#include <span>

#include "suites/service_check.h"

namespace sockspec::suites {

std::span<const ServiceCheck> echoChecks();
std::span<const ServiceCheck> discardChecks();
std::span<const ServiceCheck> chargenChecks();
std::span<const ServiceCheck> daytimeChecks();
std::span<const ServiceCheck> framedChecks();
std::span<const ServiceCheck> serverProfileChecks();

}  // namespace sockspec::suites

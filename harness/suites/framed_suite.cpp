#include "suites/suite_tables.h"
namespace sockspec::suites {
std::span<const ServiceCheck> framedChecks() { return {}; }
}

// The RFC 867 daytime answer. The RFC fixes no syntax; it suggests "Weekday, Month Day, Year Time-Zone",
// which is what this writes, in UTC.
#pragma once

#include <ctime>
#include <string>

namespace sockspec::server {

// "Wednesday, November 25, 2026 15:07:47-UTC\r\n" for the given time.
std::string daytimeText(std::time_t when);

}  // namespace sockspec::server

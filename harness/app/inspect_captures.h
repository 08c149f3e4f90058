// `sockspec inspect`, below its command line: reads each capture once (pcap_file_reader.h), dissects its
// packets, keeps the flows that pass --host/--port in a flow table (flow_table.h), and writes a text
// summary, a --timeline ladder or a JSON document. One file at a time, so memory holds one flow table.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "capture/flow_table.h"
#include "capture/packet_dissector.h"

namespace sockspec::app {

// What the command line said, word for word.
struct InspectOptions {
  std::vector<std::string> files;
  bool json = false;
  std::size_t flow = 0;  // 0: all flows
  bool timeline = false;
  std::vector<std::string> hosts;
  std::vector<int> ports;
};

struct InspectOutcome {
  bool anyFileFailed = false;  // a file could not be read to its end (its error went to `err`)
};

// Checks the options (the error is the usage message: "--host: 'x' is not an IPv4 or IPv6 address"), then
// reads every file and writes its summary to `out` as it goes, and each file's error to `err`.
Expected<InspectOutcome, std::string> inspectCaptures(const InspectOptions& options, std::FILE* out, std::FILE* err);

}  // namespace sockspec::app

// What sockspec-server-fuzzer does before libFuzzer starts (cli/server_fuzzer_main.cpp binds its options
// file; blackbox/server_fuzz_target.h runs the inputs): the seeds and the dictionary of `sockspec fuzz`
// turned into libFuzzer arguments, then the server started.
#pragma once

#include <string>
#include <vector>

#include "app/blackbox_target_options.h"
#include "base/expected.h"

namespace sockspec::app {

struct ServerFuzzerOptions {
  BlackboxTargetOptions target;
  std::string service;  // echo, framed or any
  std::string replyEnd;
  std::string reply;
  std::string probe;
  std::vector<std::string> captures;  // --seeds-from: pcap or pcapng files
  bool noCoverage = false;            // --no-coverage
};

// Starts the server and returns libFuzzer's arguments (`arguments`, argv[0] first) as they are to be run.
// When libFuzzer is to fuzz or merge (a corpus folder among the arguments, not a single input to run),
// as `sockspec fuzz` does: the flows of the captures and the service's own seeds become a corpus folder of
// their own, added after the user's (libFuzzer writes what it finds into the first); the dictionary learned
// from the corpus folders and the captures, merged with a -dict= that was given, replaces it; -max_len=4096,
// -len_control=0 and -detect_leaks=0 are added unless given. The error says what is wrong, naming the option
// or file.
Expected<std::vector<std::string>, std::string> startServerFuzzer(const ServerFuzzerOptions& options,
                                                                  std::vector<std::string> arguments);

}  // namespace sockspec::app

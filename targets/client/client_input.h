// The bytes sockspec-client sends: read whole from a file or standard input before connecting, so that
// the exchange's deadline measures the network and not a slow pipe.
#pragma once

#include <string>

#include "base/expected.h"

namespace sockspec::client {

struct ClientInput {
  std::string name;   // for messages: the path, "<stdin>" or "--data"
  std::string bytes;  // what to send, exactly
};

// Reads all of `path` ("-": standard input). Fails with "PATH: open: ENOENT (No such file or directory)".
Expected<ClientInput, std::string> readInputFile(const std::string& path);

}  // namespace sockspec::client

#include "app/fuzz_seeds.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "base/file_bytes.h"
#include "base/output_file.h"
#include "base/sys_error.h"
#include "blackbox/conversation.h"
#include "blackbox/fuzz_dictionary.h"
#include "blackbox/service_model.h"
#include "capture/flow_messages.h"
#include "net/endpoint.h"
#include "process/target_session.h"

namespace sockspec::app {

namespace {

namespace fs = std::filesystem;

// What one fuzzing run takes from seed folders: libFuzzer reads its whole corpus into memory.
constexpr std::size_t kMaxSeedFiles = 100'000;
constexpr std::size_t kMaxSeedBytes = 256u << 20;

Expected<void, std::string> readSeedFolder(const std::string& folder, FuzzSeeds& seeds, std::size_t& totalBytes) {
  struct stat status {};
  if (::stat(folder.c_str(), &status) != 0) {
    return Unexpected{fmt::format("--seeds {}: {}", folder, SysError{errno, "stat"}.describe())};
  }
  if (!S_ISDIR(status.st_mode)) return Unexpected{fmt::format("--seeds {}: not a folder (ENOTDIR)", folder)};
  std::vector<std::string> files;
  std::error_code error;
  for (fs::directory_iterator entry(folder, error), end; !error && entry != end; entry.increment(error)) {
    std::error_code kindError;
    // Regular files only: a FIFO or a device would block or never end the read.
    if (entry->is_regular_file(kindError)) files.push_back(entry->path().string());
    if (files.size() > kMaxSeedFiles) {
      return Unexpected{fmt::format("--seeds {}: more than {} files", folder, kMaxSeedFiles)};
    }
  }
  if (error) return Unexpected{fmt::format("--seeds {}: {}", folder, SysError{error.value(), "opendir"}.describe())};
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    auto bytes = readFileBytes(file, kMaxSeedBytes - totalBytes);
    if (!bytes) return Unexpected{fmt::format("--seeds {}: {}", file, bytes.error().describe())};
    totalBytes += bytes->size();
    if (totalBytes >= kMaxSeedBytes) {
      return Unexpected{fmt::format("--seeds {}: the seeds come to more than {} MiB", folder, kMaxSeedBytes >> 20)};
    }
    seeds.inputs.emplace_back(bytes->begin(), bytes->end());
  }
  seeds.notes.push_back(fmt::format("--seeds {}: {} seed{}", folder, files.size(), files.size() == 1 ? "" : "s"));
  return {};
}

// The flows of `capture` to one server port, as conversations: the target's port when the capture has
// flows to it, else the port with the most flows; the transport is the target's.
Expected<void, std::string> readSeedCapture(const std::string& capture, const FuzzSeedOptions& options,
                                            FuzzSeeds& seeds, std::vector<std::vector<std::uint8_t>>& messages) {
  auto read = capture::readFlowMessages(capture);
  if (!read) return Unexpected{"--seeds-from " + read.error()};
  auto transport = options.datagram ? capture::IpProtocol::Udp : capture::IpProtocol::Tcp;
  std::map<std::uint16_t, std::size_t> flowsByPort;
  for (const auto& flow : read->flows) {
    if (flow.transport == transport) ++flowsByPort[flow.server.port];
  }
  std::string_view transportName = options.datagram ? "UDP" : "TCP";
  if (flowsByPort.empty()) {
    return Unexpected{fmt::format("--seeds-from {}: no {} flow with client data in it", capture, transportName)};
  }
  std::uint16_t port = 0;
  if (options.port && flowsByPort.count(*options.port) != 0) {
    port = *options.port;
  } else {
    port = std::max_element(flowsByPort.begin(), flowsByPort.end(),
                            [](const auto& a, const auto& b) { return a.second < b.second; })
               ->first;
  }
  for (const auto& flow : read->flows) {
    if (flow.transport != transport || flow.server.port != port) continue;
    seeds.inputs.push_back(blackbox::joinConversation(flow.requests));
    messages.insert(messages.end(), flow.requests.begin(), flow.requests.end());
    messages.insert(messages.end(), flow.replies.begin(), flow.replies.end());
  }
  std::string others = flowsByPort.size() > 1 ? fmt::format(" (of {} server ports)", flowsByPort.size()) : "";
  seeds.notes.push_back(fmt::format("--seeds-from {}: {} {} flows to port {}{}: {} seeds", capture,
                                    flowsByPort[port], transportName, port, others, flowsByPort[port]));
  if (read->droppedMessages != 0 || read->truncatedMessages != 0) {
    seeds.notes.push_back(fmt::format("--seeds-from {}: {} packets left out and {} cut short by the reader's limits",
                                      capture, read->droppedMessages, read->truncatedMessages));
  }
  return {};
}

}  // namespace

void FuzzSeedOptions::setTarget(const std::string& url, const blackbox::FuzzProtocol& protocol) {
  std::string concrete = url;
  if (auto at = url.find(process::kPortPlaceholder); at != std::string::npos) {
    concrete = url.substr(0, at) + "1" + url.substr(at + process::kPortPlaceholder.size());
  }
  auto endpoint = net::parseEndpoint(concrete);
  datagram = endpoint && !net::isConnectionOriented(endpoint->transport);
  // A capture's flows to a fixed port are the target's; with {port} the port is any free one.
  port = endpoint && concrete == url ? std::optional<std::uint16_t>(endpoint->port) : std::nullopt;
  conversations = protocol.any();
}

Expected<FuzzSeeds, std::string> gatherFuzzSeeds(const FuzzSeedOptions& options) {
  FuzzSeeds seeds;
  std::size_t totalBytes = 0;
  for (const auto& folder : options.folders) {
    if (auto read = readSeedFolder(folder, seeds, totalBytes); !read) return Unexpected{read.error()};
  }
  seeds.fromFolders = seeds.inputs.size();
  // What the dictionary is learned from: each message of the captures (requests and replies), and each seed
  // file's messages.
  std::vector<std::vector<std::uint8_t>> messages;
  for (const auto& input : seeds.inputs) {
    for (auto message : blackbox::splitConversation(net::Bytes(input.data(), input.size()))) {
      messages.emplace_back(message.begin(), message.end());
    }
  }
  for (const auto& capture : options.captures) {
    if (auto read = readSeedCapture(capture, options, seeds, messages); !read) return Unexpected{read.error()};
  }
  std::vector<blackbox::DictionaryEntry> entries;
  if (!options.dictionary.empty()) {
    // A regular file only: a FIFO without a writer would block the read, a device never end it.
    struct stat status {};
    if (::stat(options.dictionary.c_str(), &status) != 0) {
      return Unexpected{fmt::format("--dict {}: {}", options.dictionary, SysError{errno, "stat"}.describe())};
    }
    if (!S_ISREG(status.st_mode)) return Unexpected{fmt::format("--dict {}: not a regular file", options.dictionary)};
    auto given = blackbox::readDictionaryFile(options.dictionary);
    if (!given) return Unexpected{"--dict " + given.error()};
    entries = std::move(*given);
  }
  auto learned = blackbox::learnDictionary(messages);
  entries.insert(entries.end(), learned.begin(), learned.end());
  if (options.conversations) {
    entries.push_back({"message_separator", {blackbox::kMessageSeparator.begin(), blackbox::kMessageSeparator.end()}});
  }
  if (!entries.empty()) seeds.dictionary = blackbox::formatDictionary(entries);
  if (!learned.empty()) {
    seeds.notes.push_back(fmt::format("learned {} dictionary entr{} from the seeds", learned.size(),
                                      learned.size() == 1 ? "y" : "ies"));
  }
  return seeds;
}

Expected<void, std::string> writeFuzzSeeds(const FuzzSeeds& seeds, blackbox::FuzzWorkerOptions& worker) {
  std::string folder = worker.corpusDir();
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) return Unexpected{fmt::format("{}: {}", folder, SysError{error.value(), "mkdir"}.describe())};
  for (std::size_t i = 0; i < seeds.inputs.size(); ++i) {
    const auto& input = seeds.inputs[i];
    std::string path = fmt::format("{}/given-{}", folder, i);
    if (auto written = writeOutputFile(path, std::string_view(reinterpret_cast<const char*>(input.data()), input.size()));
        !written) {
      return Unexpected{written.error()};
    }
  }
  // The service's own seeds beside the user's (blackbox/service_model.h): written here, once, where every
  // worker of --jobs reads them.
  auto builtIn = blackbox::seedInputs(worker.protocol);
  for (std::size_t i = 0; i < builtIn.size(); ++i) {
    const auto& input = builtIn[i];
    std::string path = fmt::format("{}/seed-{}", folder, i);
    if (auto written = writeOutputFile(path, std::string_view(reinterpret_cast<const char*>(input.data()), input.size()));
        !written) {
      return Unexpected{written.error()};
    }
  }
  if (!seeds.dictionary.empty()) {
    worker.dictionary = worker.workDir + "/fuzz.dict";
    if (auto written = writeOutputFile(worker.dictionary, seeds.dictionary); !written) return Unexpected{written.error()};
  }
  return {};
}

}  // namespace sockspec::app

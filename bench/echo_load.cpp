// sockspec-echo-load: a load generator for echo servers, one epoll loop on one thread. It measures the
// small-message round-trip rate, bulk throughput, and the server's memory per held connection; the bench
// script run_echo_bench.sh runs it against the reference server and socat and prints the ratios.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "base/exit_codes.h"
#include "echo_modes.h"
#include "net/endpoint_sockets.h"
#include "open_file_limit.h"

namespace {

using namespace sockspec;

constexpr const char* kExitCodes =
    "Exit codes: 0 measured; 1 the server misbehaved or fell short (wrong echo, closed, stalled, "
    "fewer connections held than asked); 2 bad command line or unreachable endpoint; 3 internal failure.\n"
    "Every mode prints one 'result mode=... status=ok|failed ...' line on stdout.";

struct CommonText {
  std::string connect;
  double connectTimeoutSeconds = 10;
};

// The options every measuring mode has, defined once.
void addCommonOptions(CLI::App& mode, CommonText& text, bench::CommonOptions& common,
                      const char* deadlineHelp) {
  mode.add_option("--connect", text.connect, "The echo server's endpoint, e.g. tcp://127.0.0.1:7000")
      ->required()
      ->check([](const std::string& url) {
        auto endpoint = net::parseEndpoint(url);
        return endpoint ? std::string() : net::formatEndpointError(url, endpoint.error());
      });
  mode.add_option("--deadline", common.deadlineSeconds, deadlineHelp)->check(CLI::NonNegativeNumber);
  mode.add_option("--in-flight", common.inFlight,
                  "Connects (and probe echoes) outstanding at once while opening")
      ->capture_default_str()
      ->check(CLI::Range(1, 65536));
  mode.add_option("--connect-timeout", text.connectTimeoutSeconds,
                  "Seconds each connection may take to connect and echo its probe")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

void finishCommon(const CommonText& text, bench::CommonOptions& common) {
  common.endpoint = *net::parseEndpoint(text.connect);  // validated by the option's check
  common.connectTimeout =
      std::chrono::milliseconds(static_cast<long long>(text.connectTimeoutSeconds * 1000));
}

// Holding thousands of connections needs as many descriptors; the usual soft limit is 1024.
int raiseFileLimitFor(std::size_t connections) {
  auto limit = bench::raiseOpenFileLimit(static_cast<rlim_t>(connections) + 64);
  if (!limit) {
    fmt::print(stderr, "sockspec-echo-load: raising RLIMIT_NOFILE: {}\n", limit.error().describe());
    return kExitInternal;
  }
  if (limit->soft < connections + 16) {
    fmt::print(
        stderr,
        "sockspec-echo-load: warning: the open-file limit is {} (hard {}), too low for {} connections; "
        "opening may stop with EMFILE\n",
        limit->soft, limit->hard, connections);
  }
  return kExitOk;
}

// A port on 127.0.0.1 that was free a moment ago, for starting another server on it (socat cannot print the
// port it bound). A race with other programs is possible, the caller retries.
int printFreePort() {
  net::Endpoint any{net::Transport::Tcp, "127.0.0.1", 0, {}, false};
  auto bound = net::bindEndpoint(any, net::BindOptions{});
  if (!bound) {
    fmt::print(stderr, "sockspec-echo-load: free-port: {}\n", bound.error().describe());
    return kExitInternal;
  }
  fmt::print("{}\n", bound->local.port);
  return kExitOk;
}

int runMain(int argc, char** argv) {
  CLI::App app{"Echo-server load generator: round-trip rate, bulk throughput, memory per held connection",
               "sockspec-echo-load"};
  app.footer(kExitCodes);
  app.require_subcommand(1);

  bench::RateOptions rate;
  CommonText rateText;
  CLI::App* rateMode =
      app.add_subcommand("rate", "Ping-pong small messages over many connections: round trips/s");
  addCommonOptions(*rateMode, rateText, rate.common,
                   "Seconds for the whole mode (default: warm-up + window + 60)");
  rateMode->add_option("--connections", rate.connections, "Connections, each one message in flight")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  rateMode->add_option("--message-size", rate.messageSize, "Bytes per message")
      ->capture_default_str()
      ->check(CLI::Range(1, 16 << 20));
  rateMode->add_option("--seconds", rate.seconds, "Length of the measured window")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  rateMode->add_option("--warmup", rate.warmupSeconds, "Seconds of ping-pong before the window opens")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);

  bench::BulkOptions bulk;
  CommonText bulkText;
  CLI::App* bulkMode =
      app.add_subcommand("bulk", "Stream bytes and read the echo concurrently: MiB/s echoed");
  addCommonOptions(*bulkMode, bulkText, bulk.common, "Seconds for the whole mode (default: 120)");
  bulkMode->add_option("--connections", bulk.connections, "Connections sharing the bytes")
      ->capture_default_str()
      ->check(CLI::Range(1, 65536));
  bulkMode->add_option("--bytes", bulk.bytes, "Bytes to echo in all, with a unit: 256MiB, 1GiB, 4096")
      ->default_str("256MiB")
      ->transform(CLI::AsSizeValue(true));

  bench::HoldOptions hold;
  CommonText holdText;
  double settleSeconds = 0.3;
  CLI::App* holdMode = app.add_subcommand(
      "hold",
      "Open many connections, each proven by one echo, and charge the server's memory growth to them");
  addCommonOptions(*holdMode, holdText, hold.common, "Seconds for the whole mode (default: 180)");
  holdMode->add_option("--connections", hold.connections, "Connections to open and hold")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  holdMode->add_option("--pid", hold.pid, "The server's process id; its descendants are counted too")
      ->required();
  holdMode->add_option("--settle", settleSeconds, "Seconds to wait after opening before measuring memory")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);

  CLI::App* freePortMode =
      app.add_subcommand("free-port", "Print a TCP port on 127.0.0.1 that is free now (for starting socat)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // CLI11's own codes (105 for a failed check, ...) are not sockspec's: --help is 0, anything else usage.
    return app.exit(error) == 0 ? kExitOk : kExitUsage;
  }

  // Results go to a pipe in the bench script: print each line whole and in order with stderr.
  (void)std::setvbuf(stdout, nullptr, _IOLBF, 0);

  if (freePortMode->parsed()) return printFreePort();
  if (rateMode->parsed()) {
    finishCommon(rateText, rate.common);
    if (int rc = raiseFileLimitFor(rate.connections); rc != kExitOk) return rc;
    return bench::runRate(rate);
  }
  if (bulkMode->parsed()) {
    finishCommon(bulkText, bulk.common);
    if (int rc = raiseFileLimitFor(bulk.connections); rc != kExitOk) return rc;
    return bench::runBulk(bulk);
  }
  finishCommon(holdText, hold.common);
  hold.settle = std::chrono::milliseconds(static_cast<long long>(settleSeconds * 1000));
  if (int rc = raiseFileLimitFor(hold.connections); rc != kExitOk) return rc;
  return bench::runHold(hold);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return runMain(argc, argv);
  } catch (const std::exception& error) {
    // Only allocation or formatting can throw here: the load generator itself failed.
    fmt::print(stderr, "sockspec-echo-load: internal error: {}\n", error.what());
    return sockspec::kExitInternal;
  }
}

// sockspec-client: the reference client. Reads the command line (the one flag table is defineFlags below),
// checks it, reads the input, connects within the deadline and hands the socket to the service's exchange.
// Exit codes: base/exit_codes.h; reference: docs/client.md.
#include <fmt/format.h>
#include <signal.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "base/deadline.h"
#include "base/display_escape.h"
#include "base/exit_codes.h"
#include "cli_support/parse_command_line.h"
#include "base/c_escapes.h"
#include "chunk_plan.h"
#include "client_input.h"
#include "client_options.h"
#include "client_outcome.h"
#include "connection_close.h"
#include "datagram_exchange.h"
#include "events/json_event_log.h"
#include "exchange_context.h"
#include "framed_exchange.h"
#include "framed_script.h"
#include "net/endpoint.h"
#include "net/endpoint_sockets.h"
#include "reply_sink.h"
#include "stream_services.h"

namespace sockspec::client {

namespace {

constexpr std::string_view kProgram = "sockspec-client";

// What the flag table fills in before it is turned into ClientOptions.
struct RawFlags {
  std::string service;
  std::int64_t delayMs = 0;
  std::int64_t timeoutMs = 10000;
  bool halfClose = false;
  bool abortiveClose = false;
};

void defineFlags(CLI::App& app, ClientOptions& options, RawFlags& flags) {
  app.option_defaults()->always_capture_default();
  app.get_formatter()->column_width(34);
  app.add_option("--connect", options.connectUrl,
                 "Server to talk to: tcp://HOST:PORT, udp://HOST:PORT (IPv6 as\n"
                 "[::1]:PORT), unix:///PATH, unix-dgram:///PATH,\n"
                 "unix-seqpacket:///PATH; unix://@NAME for an abstract name")
      ->type_name("URL")
      ->required();
  app.add_option("--service", flags.service, "Protocol to speak (docs/client.md)")
      ->type_name("NAME")
      ->check(CLI::IsMember({"echo", "discard", "chargen", "daytime", "framed"}))
      ->required();
  auto* input = app.add_option("--input", options.inputPath,
                               "Bytes to send ('-' is stdin); for framed, the request script.\n"
                               "Default: stdin, unless --data is given")
                    ->type_name("FILE");
  app.add_option("--data", options.inlineData,
                 "Bytes to send, given inline, with C escapes decoded:\n"
                 "\\n \\r \\t \\\\ \\xNN")
      ->type_name("TEXT")
      ->excludes(input);
  app.add_option("--chunk", options.chunkSizes,
                 "Split writes into chunks of these sizes, comma-separated, the\n"
                 "last size repeating (\"1\": one byte per send; \"1,2,4\").\n"
                 "On udp, unix-dgram and unix-seqpacket each chunk is one\n"
                 "datagram. Default: as much as the socket takes (datagrams:\n"
                 "the whole input as one)")
      ->type_name("SIZES");
  app.add_option("--delay", flags.delayMs, "Pause between chunks, in milliseconds (0 to 3600000)")
      ->type_name("MS")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{3'600'000}).description(""));
  app.add_option("--read-size", options.readSize,
                 "recv buffer size in bytes, 1 to 16777216 (1: one-byte reads)")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, std::size_t{16} * 1024 * 1024).description(""));
  auto* halfClose = app.add_flag("--half-close", flags.halfClose,
                                 "After sending everything, shutdown(SHUT_WR), then read until\n"
                                 "the server closes");
  app.add_flag("--abort", flags.abortiveClose,
               "After sending everything, close with RST (SO_LINGER {1,0})\n"
               "instead of FIN")
      ->excludes(halfClose);
  app.add_option("--max-bytes", options.maxBytes, "chargen: bytes to read before closing (one line)")
      ->type_name("N");
  app.add_option("--timeout", flags.timeoutMs,
                 "Deadline for the whole exchange, connect included, in\n"
                 "milliseconds (1 to 86400000)")
      ->type_name("MS")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400'000}).description(""));
  app.add_option("--events", options.eventsPath, "Write one JSON object per socket call (docs/events.md)")
      ->type_name("FILE");
  app.add_option("--output", options.outputPath, "Where replies go. Default: stdout")->type_name("FILE");
  app.add_flag("--raw", options.raw,
               "framed: send the input bytes as they are (no handshake) and\n"
               "print the frames that come back");
  app.add_flag("--quiet", options.quiet, "Do not print replies (they are still checked)");
  app.footer(
      "Exit status: 0 the exchange went as the service says; 1 the server misbehaved\n"
      "(a mismatch, an early close or reset, the deadline passed); 2 bad command line,\n"
      "input or endpoint, or nobody listening; 3 sockspec-client itself failed.\n"
      "Reference: docs/client.md");
}

Service toService(const std::string& name) {
  if (name == "discard") return Service::Discard;
  if (name == "chargen") return Service::Chargen;
  if (name == "daytime") return Service::Daytime;
  if (name == "framed") return Service::Framed;
  return Service::Echo;
}

bool sendsInput(Service service) {
  return service == Service::Echo || service == Service::Discard || service == Service::Framed;
}

// A CLI11 message on one line, safe for a terminal: it may quote whatever the user typed.
std::string oneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return escapeForDisplay(text, 400);
}

// Everything decided before the first socket call.
struct Plan {
  net::Endpoint endpoint;
  ChunkPlan chunks;
  ClientInput input;
  std::vector<ScriptRequest> script;
};

Outcome checkCombinations(const ClientOptions& options, const net::Endpoint& endpoint) {
  const std::string_view service = serviceName(options.service);
  const std::string_view scheme = net::schemeOf(endpoint.transport);
  const bool connected = net::isConnectionOriented(endpoint.transport);
  if (options.service == Service::Framed && !connected) {
    return usageFailed(
        fmt::format("--service framed needs a connection (tcp, unix or unix-seqpacket), not {}://", scheme));
  }
  if (options.raw && options.service != Service::Framed) {
    return usageFailed(fmt::format("--raw applies to --service framed, not {}", service));
  }
  if (!connected && options.closeMode != CloseMode::Normal) {
    return usageFailed(fmt::format("{} needs a connection (tcp, unix or unix-seqpacket), not {}://",
                                   options.closeMode == CloseMode::Abort ? "--abort" : "--half-close",
                                   scheme));
  }
  if (!sendsInput(options.service) && (options.inputPath || options.inlineData)) {
    return usageFailed(fmt::format("the {} service sends nothing: {} does not apply", service,
                                   options.inputPath ? "--input" : "--data"));
  }
  return {};
}

Expected<Plan, ClientFailure> makePlan(const ClientOptions& options) {
  Plan plan;
  auto endpoint = net::parseEndpoint(options.connectUrl);
  if (!endpoint) return usageFailed(net::formatEndpointError(options.connectUrl, endpoint.error()));
  plan.endpoint = std::move(*endpoint);
  if (auto combined = checkCombinations(options, plan.endpoint); !combined)
    return Unexpected{combined.error()};

  if (!options.chunkSizes.empty()) {
    auto chunks = ChunkPlan::parse(options.chunkSizes);
    if (!chunks) return usageFailed("--chunk: " + chunks.error());
    plan.chunks = std::move(*chunks);
  }

  if (sendsInput(options.service)) {
    if (options.inlineData) {
      auto decoded = decodeCEscapes(*options.inlineData);
      if (!decoded) {
        return usageFailed(
            fmt::format("--data, column {}: {}", decoded.error().column, decoded.error().message));
      }
      plan.input = ClientInput{"--data", std::move(*decoded)};
    } else {
      auto read = readInputFile(options.inputPath.value_or("-"));
      if (!read) return usageFailed(read.error());
      plan.input = std::move(*read);
    }
  }

  if (options.service == Service::Framed && !options.raw) {
    auto script = parseFramedScript(plan.input.bytes);
    if (!script) {
      const ScriptError& error = script.error();
      return usageFailed(fmt::format("{}:{}:{}: {}", escapeForDisplay(plan.input.name), error.line,
                                     error.column, error.message));
    }
    plan.script = std::move(*script);
  }
  return plan;
}

Outcome runService(net::UniqueFd& fd, const Plan& plan, const ExchangeContext& context) {
  const ClientOptions& options = context.options;
  if (options.service == Service::Framed) {
    if (options.raw) return runFramedRaw(fd, plan.input.bytes, context);
    return runFramedScript(fd, plan.script, escapeForDisplay(plan.input.name), context);
  }
  // Echo must keep message boundaries on seqpacket; datagram transports always do.
  const bool records =
      net::socketTypeOf(plan.endpoint.transport) == SOCK_DGRAM ||
      (options.service == Service::Echo && plan.endpoint.transport == net::Transport::UnixSeqpacket);
  if (records) return runDatagramService(fd, plan.input.bytes, context);
  return runStreamService(fd, plan.input.bytes, context);
}

// Connects and runs the exchange; the socket is closed through the socket layer on every path, so that the
// event log ends with it.
Outcome connectAndRun(const ClientOptions& options, const Plan& plan, ReplySink& replies) {
  const Deadline deadline = Deadline::after(options.timeout);
  auto connected = net::connectEndpoint(plan.endpoint, deadline);
  if (!connected) {
    const net::EndpointFailure& failure = connected.error();
    if (failure.error.code == ETIMEDOUT && deadline.expired()) {
      // The deadline, not the kernel's SYN retries (~127 s, tcp(7)), ended the attempt: say so.
      return usageFailed(fmt::format("{}: {}: ETIMEDOUT (not connected within the {} ms --timeout)",
                                     failure.endpoint, failure.error.call, options.timeout.count()));
    }
    return usageFailed(failure.describe());
  }
  net::UniqueFd fd = std::move(*connected);
  const ExchangeContext context{options, plan.endpoint, plan.chunks, deadline, replies};
  Outcome outcome = runService(fd, plan, context);
  Outcome closed = closeConnection(fd, plan.endpoint);
  if (outcome && !closed) return closed;
  return outcome;
}

int report(const ClientFailure& failure) {
  fmt::print(stderr, "{}: {}\n", kProgram, failure.message);
  return failure.exitCode;
}

int run(int argc, char** argv) {
  // send(2) in the socket layer passes MSG_NOSIGNAL; this also covers writes to a closed stdout pipe,
  // which then fail with EPIPE and are reported instead of killing the client.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  (void)::sigaction(SIGPIPE, &ignore, nullptr);

  CLI::App app{
      "Connects to a server, runs one exchange of a simple service, checks the replies and prints them.",
      std::string(kProgram)};
  ClientOptions options;
  RawFlags flags;
  defineFlags(app, options, flags);
  if (auto exitCode = cli_support::parseCommandLine(app, argc, argv, [](const CLI::ParseError& error) -> int {
        return report(ClientFailure{kExitUsage, oneLine(error.what()) + "; run with --help"});
      })) {
    return *exitCode;
  }
  options.service = toService(flags.service);
  options.delay = std::chrono::milliseconds(flags.delayMs);
  options.timeout = std::chrono::milliseconds(flags.timeoutMs);
  options.closeMode = flags.abortiveClose ? CloseMode::Abort
                      : flags.halfClose   ? CloseMode::HalfClose
                                          : CloseMode::Normal;

  auto plan = makePlan(options);
  if (!plan) return report(plan.error());

  auto replies = ReplySink::open(options.outputPath, options.quiet);
  if (!replies) return report(ClientFailure{kExitUsage, replies.error()});

  std::unique_ptr<events::JsonEventLog> log;
  if (!options.eventsPath.empty()) {
    auto opened = events::JsonEventLog::open(options.eventsPath, kProgram);
    if (!opened) return report(ClientFailure{kExitUsage, escapeForDisplay(opened.error())});
    log = std::move(*opened);
  }
  const events::ScopedCallObserver observing(log.get());

  Outcome outcome = connectAndRun(options, *plan, *replies);
  if (auto flushed = replies->flush(); !flushed && outcome) {
    outcome =
        internalFailed(fmt::format("{}: {}", escapeForDisplay(replies->name()), flushed.error().describe()));
  }
  if (log)
    log->note("exit", outcome ? "0"
                              : fmt::format("{}: {}", static_cast<int>(outcome.error().exitCode),
                                            outcome.error().message));
  if (!outcome) return report(outcome.error());
  return kExitOk;
}

}  // namespace

}  // namespace sockspec::client

int main(int argc, char** argv) {
  try {
    return sockspec::client::run(argc, argv);
  } catch (const std::exception& error) {
    fmt::print(stderr, "sockspec-client: internal error: {}\n", error.what());
  } catch (...) {
    fmt::print(stderr, "sockspec-client: internal error: unknown exception\n");
  }
  return sockspec::kExitInternal;
}

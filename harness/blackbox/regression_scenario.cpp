#include "blackbox/regression_scenario.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include <fmt/format.h>

#include "net/socket_ops.h"
#include "proto/framed_session.h"
#include "scenario/printer.h"

namespace sockspec::blackbox {

namespace {

// Bytes per send or receive step: escaped as \xNN each, 512 bytes stay well inside the language's
// 4096-byte lines.
constexpr std::size_t kBytesPerStep = 512;

// The bytes the service owes for `input` sent in one piece and followed by the client's EOF.
std::vector<std::uint8_t> replyBytesOwed(proto::Service service, std::span<const std::uint8_t> input) {
  if (service == proto::Service::Echo) return {input.begin(), input.end()};  // RFC 862
  std::vector<std::uint8_t> replies;
  proto::FramedSession session;
  (void)session.onBytes(input, replies);  // replies do not depend on how the bytes were split
  return replies;
}

}  // namespace

std::string regressionScenarioId(const RegressionScenarioSource& source) {
  std::string id = fmt::format("regression.{}.{}", proto::serviceName(source.service), source.name);
  for (char& c : id) {
    auto u = static_cast<unsigned char>(c);
    bool allowed = std::islower(u) != 0 || std::isdigit(u) != 0 || c == '.' || c == '-' || c == '_';
    if (!allowed) c = std::isupper(u) != 0 ? static_cast<char>(std::tolower(u)) : '-';
  }
  return id;
}

std::string regressionScenarioText(const RegressionScenarioSource& source) {
  std::string kind = source.kind.value_or("finding");
  std::vector<std::uint8_t> replies = replyBytesOwed(source.service, source.input);
  // One step per kBytesPerStep bytes of `bytes`: `line(part)` writes it.
  auto inSteps = [](net::Bytes bytes, auto line) {
    for (std::size_t at = 0; at < bytes.size(); at += kBytesPerStep) {
      line(bytes.subspan(at, std::min(kBytesPerStep, bytes.size() - at)));
    }
  };
  std::string text;
  text += fmt::format("# Made by sockspec replay --write-scenarios from {}: the {} bytes of a {}, and what a\n",
                      source.path, source.input.size(), kind);
  text += "# correct server does with them. Run it with: sockspec run FILE --target-cmd 'CMD {port}'\n";
  text += fmt::format("scenario {}\n", regressionScenarioId(source));
  text += fmt::format("title {}\n",
                      scenario::printBytes(fmt::format("the {} server answers the {} bytes of {} in full, closes "
                                                       "in order and still accepts",
                                                       proto::serviceName(source.service), source.input.size(),
                                                       source.name)));
  // Every stream family: the run keeps the one its target is and reports the others as skipped.
  text += "families tcp4 tcp6 unix\n";
  text += fmt::format("source {}\n",
                      scenario::printBytes(source.service == proto::Service::Echo
                                               ? "RFC 862 (echo); sockspec fuzz " + kind + " " + source.name
                                               : "docs/framed-protocol.md; sockspec fuzz " + kind + " " +
                                                     source.name));
  text += "requires target\n\n";
  text += "client = socket\nconnect-target client\n";
  inSteps(source.input, [&](net::Bytes part) {
    text += fmt::format("send client {} -> {}\n", scenario::printBytes(net::asText(part)), part.size());
  });
  text += "shutdown client wr\n";
  inSteps(replies, [&](net::Bytes part) {
    text += fmt::format("recv client {} MSG_WAITALL -> {}\n", part.size(), scenario::printBytes(net::asText(part)));
  });
  text += "recv client 1 -> eof\nclose client\n";
  text += "# The server still accepts: a crash that only stopped the listener shows here.\n";
  text += "probe = socket\nconnect-target probe\nclose probe\n";
  return text;
}

}  // namespace sockspec::blackbox

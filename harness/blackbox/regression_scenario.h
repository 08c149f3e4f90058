// A reproducer turned into a scenario for a regression suite (docs/fuzzing-black-box.md): not what the
// faulty server did, but what a correct one must do with the same bytes, as steps that `sockspec run
// FILE --target-cmd CMD` checks against the server under test:
//   connect, send the bytes, shut down writing, receive exactly the replies the service owes (the bytes
//   themselves for echo; for framed what the protocol's session answers them), then EOF, and the server
//   still accepts a new connection.
// A crash then fails at the receive or the last connect, a hang at the receive's deadline.
// A `--service any` reproducer's replies are not known: its scenario sends each message on one connection
// (one datagram each over UDP), then reads whatever comes until the server closes (a stream; `-> any`:
// whatever it answers, the step only lets it finish), and checks that the server still accepts a connection
// and answers the probe (when one is known: the run's --probe, kept in the sidecar, or replay's). A crash
// then fails at the probe's connect or reply, a hang at the probe's deadline.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "proto/service.h"

namespace sockspec::blackbox {

struct RegressionScenarioSource {
  std::string name;                 // the reproducer's file name: "crash-2d756dd11a06e8f8"
  std::string path;                 // where it was read from, for the scenario's source line
  std::optional<std::string> kind;  // "crash", "hang", from the sidecar
  proto::Service service = proto::Service::Echo;  // echo or framed, unless `any`
  std::span<const std::uint8_t> input;
  bool any = false;       // a --service any conversation (blackbox/conversation.h)
  bool datagram = false;  // any: it was found over UDP
  std::string probe;      // any: a request every working server answers ("": the scenario only connects)
};

// The scenario's id: "regression.<service>.<name>" (<service> "any" for a conversation), with characters the language does not allow in an id
// replaced by '-'.
std::string regressionScenarioId(const RegressionScenarioSource& source);

// The scenario file's text (it parses: tests/unit/blackbox_test.cpp). Byte strings longer than a line can
// hold are sent and received in several steps, which a stream service must not tell apart.
std::string regressionScenarioText(const RegressionScenarioSource& source);

// The files the scenario sends from (`send-file`), to be written beside it: each datagram of an `any`
// conversation too long for a scenario line, as (file name, bytes). Empty for every other scenario.
std::vector<std::pair<std::string, std::string>> regressionScenarioFiles(const RegressionScenarioSource& source);

}  // namespace sockspec::blackbox

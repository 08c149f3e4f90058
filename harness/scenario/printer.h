// Writes a Scenario back as scenario-language text that parses to an equal Scenario: the canonical form
// (one space between words, byte strings escaped, long runs of one byte written as "x" * N).
#pragma once

#include <string>

#include "scenario/scenario.h"

namespace sockspec::scenario {

std::string printScenario(const Scenario& scenario);
std::string printStep(const Step& step);
// A byte string as a scenario-language expression: "hello\n", "x" * 4096 "tail".
std::string printBytes(std::string_view bytes);

}  // namespace sockspec::scenario

// What CLI11 lets through by default and sockspec refuses (issue #13): an empty value ("--out ''" read as
// "no --out", "-j ''" as 0) and a value given to a flag ("--list=no" read as false).
#pragma once

#include <set>
#include <string>

#include <CLI/CLI.hpp>

namespace sockspec::cli_support {

// For `app` and all its subcommands, as they are now: every option that takes a value refuses an empty
// one ("--out: an empty value"), and every flag refuses a value ("--list: takes no value, got '5'"; a bare
// "--list=true" is the flag as given). Call it once every option is added.
void refuseEmptyValuesAndFlagValues(CLI::App& app);

// The names of the options the command line gave `command` ("--jobs", "paths"), for planning to tell an
// option left at its default from one given with the default's value.
std::set<std::string> givenOptions(const CLI::App& command);

}  // namespace sockspec::cli_support

#include "cli_support/strict_options.h"

namespace sockspec::cli_support {

void refuseEmptyValuesAndFlagValues(CLI::App& app) {
  // A flag's result is "true" when given bare (CLI::Option::get_flag_value); anything else came after '='.
  static const CLI::Validator noValue(
      [](const std::string& value) { return value == "true" ? std::string() : "takes no value, got '" + value + "'"; },
      "", "NOVALUE");
  static const CLI::Validator nonEmpty(
      [](const std::string& value) { return value.empty() ? std::string("an empty value") : std::string(); }, "",
      "NONEMPTY");
  for (CLI::Option* option : app.get_options()) {
    if (option->get_name() == "--help" || option->get_name() == "--version") continue;
    if (option->get_expected_max() == 0) {  // a flag
      option->check(noValue);
    } else {
      option->check(nonEmpty);
    }
  }
  for (CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
    refuseEmptyValuesAndFlagValues(*command);
  }
}

std::set<std::string> givenOptions(const CLI::App& command) {
  std::set<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    if (option->count() > 0) names.insert(option->get_name());
  }
  return names;
}

}  // namespace sockspec::cli_support

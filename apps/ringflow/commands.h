// The subcommands of `ringflow`. Each takes the arguments after its name and returns the exit
// status: 0 all went well, 1 something was skipped or failed, 2 bad usage.
#pragma once

#include <string>
#include <vector>

namespace ringflow::app {

int ChecksumCommand(const std::vector<std::string>& args);
int CountCommand(const std::vector<std::string>& args);
int DoctorCommand(const std::vector<std::string>& args);
int ReplayCommand(const std::vector<std::string>& args);
int RunCommand(const std::vector<std::string>& args);
int ValidateCommand(const std::vector<std::string>& args);
int StagesCommand(const std::vector<std::string>& args);

}  // namespace ringflow::app

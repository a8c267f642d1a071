// Helpers for the parser tests: records rendered as comparable strings, and lines of a corpus
// made by the project's own generator.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "framework/flow/record.h"
#include "tests/testing/test_util.h"

namespace ringflow::testing {

using Strings = std::vector<std::string>;

// "name=s:text", "name=i:42", "name=d:1.5", "name=true", "name=null", "name=j:{...}".
inline std::string Show(const flow::Field& f) {
  std::string out = std::string(f.name) + "=";
  switch (f.value.type) {
    case flow::ValueType::kNull:
      return out + "null";
    case flow::ValueType::kBool:
      return out + (f.value.b ? "true" : "false");
    case flow::ValueType::kInt:
      return out + "i:" + std::to_string(f.value.i);
    case flow::ValueType::kDouble: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "d:%.17g", f.value.d);
      return out + buf;
    }
    case flow::ValueType::kString:
      return out + "s:" + std::string(f.value.s);
    case flow::ValueType::kRawJson:
      return out + "j:" + std::string(f.value.s);
  }
  return out + "?";
}

inline Strings Fields(const flow::Record& r) {
  Strings out;
  for (const flow::Field& f : r.fields) out.push_back(Show(f));
  return out;
}

struct Parsed {
  bool ok;
  Strings fields;
  std::string error;
};

// Every line of `files` small files of `format` made by tests/testing/gen_corpus.py.
inline std::vector<std::string> CorpusLines(const char* format, int files) {
  const std::filesystem::path script =
      std::filesystem::path(__FILE__).parent_path() / "gen_corpus.py";
  TempDir dir;
  const std::string cmd = "python3 '" + script.string() + "' '" + dir.path().string() +
                          "/c' -q --seed 11 --formats " + format + " --small " +
                          std::to_string(files);
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::vector<std::string> lines;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (e.path().extension() != ".log") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  return lines;
}

}  // namespace ringflow::testing

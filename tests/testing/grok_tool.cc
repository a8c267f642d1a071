// grok_tool: the grok parser on stdin, for tests/testing/grok_oracle.py. Usage:
//   grok_tool [-d NAME=REGEX]... EXPRESSION < lines
// Prints the expanded pattern on the first line ("pattern <RE2>"), then one JSON line per input
// line: {"ok":true,"fields":[["name","s","text"],["n","i",42],["x","d",1.5]]} or
// {"ok":false,"error":"..."}. Strings are written byte by byte as Latin-1 (a byte >= 0x80 as
// \u00XX), so any line round-trips. Exit 1 with the message on stderr when Create fails.
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <string_view>

#include "framework/flow/record.h"
#include "stages/grok.h"

namespace {

void PutString(std::string_view s, std::string& out) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += ch;
    }
  }
  out += '"';
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> definitions;
  std::string expression;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-d" && i + 1 < argc) {
      const std::string_view def = argv[++i];
      const std::size_t eq = def.find('=');
      if (eq == std::string_view::npos) {
        std::cerr << "grok_tool: -d takes NAME=REGEX\n";
        return 2;
      }
      definitions[std::string(def.substr(0, eq))] = std::string(def.substr(eq + 1));
    } else {
      expression = arg;
    }
  }
  auto parser = ringflow::stages::GrokParser::Create(expression, definitions);
  if (!parser.ok()) {
    std::cerr << parser.error().message() << "\n";
    return 1;
  }
  std::string out = "pattern " + std::string(parser.value().pattern()) + "\n";
  std::string line;
  ringflow::flow::Arena arena;
  ringflow::flow::Record record;
  while (std::getline(std::cin, line)) {
    if (!parser.value().Parse(line, record, arena)) {
      out += "{\"ok\":false,\"error\":";
      PutString(record.error, out);
      out += "}\n";
      continue;
    }
    out += "{\"ok\":true,\"fields\":[";
    bool first = true;
    for (const ringflow::flow::Field& f : record.fields) {
      if (!first) out += ',';
      first = false;
      out += '[';
      PutString(f.name, out);
      switch (f.value.type) {
        case ringflow::flow::ValueType::kInt:
          out += ",\"i\"," + std::to_string(f.value.i);
          break;
        case ringflow::flow::ValueType::kDouble: {
          char buf[64];
          std::snprintf(buf, sizeof buf, "%.17g", f.value.d);
          out += ",\"d\",";
          out += buf;
          break;
        }
        default:
          out += ",\"s\",";
          PutString(f.value.s, out);
          break;
      }
      out += ']';
    }
    out += "]}\n";
  }
  std::cout << out;
  return 0;
}

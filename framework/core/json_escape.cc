#include "framework/core/json_escape.h"

namespace ringflow {

void AppendJsonString(std::string& out, std::string_view bytes) {
  // Written in place past the end and cut back to what PutJsonString wrote: one pass, and the
  // bound's zero fill is cheap beside escaping for the strings this serves (paths, names).
  const std::size_t start = out.size();
  out.resize(start + JsonStringBound(bytes.size()));
  char* const end = PutJsonString(out.data() + start, bytes);
  out.resize(static_cast<std::size_t>(end - out.data()));
}

}  // namespace ringflow

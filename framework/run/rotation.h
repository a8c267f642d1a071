// The order in which a run reads its files, and logrotate's rotated sets ("families") within one
// directory, so that `access.log.2.gz`, `access.log.1`, `access.log` are read oldest first.
// Everything here is a pure function of names (no file system access) and thread-safe.
//
// The rule, exactly (as the README states it):
//   A name in a directory is a *rotated member* of NAME (NAME not empty) when it is
//     - numbered: NAME.N or NAME.N.EXT, where N is decimal without leading zeros ("0", or a digit
//       1-9 followed by at most 8 digits), or
//     - dated: NAME + SEP + STAMP, or that + .EXT, where SEP is '-', '_' or '.', and STAMP starts
//       with a date YYYYMMDD or YYYY-MM-DD (year 1900-2099, month 01-12, day 01-31) followed by
//       nothing or by digits and the characters "-_:" only (hours, minutes, seconds, or %s as in
//       logrotate's dateformat "-%Y%m%d%H", "-%Y%m%d-%s", "-%Y-%m-%d_%H:%M");
//     EXT is one of gz, zst, bz2, xz, lz4, Z (case as written). Where both readings fit, dated
//     wins (NAME.20261201 is a date, not rotation number 20261201); where several SEPs fit, the
//     last one does (the shortest STAMP).
//   NAME and its rotated members form a *family* when the directory holds at least two of them
//   (NAME itself counts): NAME with NAME.1 is a family, NAME.1 with NAME.2.gz is one too, but
//   NAME.1 alone is not (nor is v1.2 alone). Names that end in a letter (s0000000.log) are never
//   members.
//   Order `rotation`: a family sorts as one unit at the place of NAME in the bytewise order of
//   the directory's names (whether or not NAME exists); within it: numbered members, larger N
//   first (.10.gz before .9.gz); then dated members by the digits of their STAMP (bytewise, a
//   shorter stamp first when it is a prefix of a longer one); then NAME, the live file. Equal
//   keys (access.log.1 and access.log.1.gz) fall back to bytewise order. Every other name keeps
//   its bytewise place. Names are taken as they are, whatever the entry (file, directory).
//   Order `path`: bytewise order of names. Order `mtime`: every file of the run, over all
//   directories, by modification time, oldest first, ties in bytewise order of the whole path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringflow::run {

enum class FileOrder {
  kRotation,  // rotated sets oldest first, otherwise bytewise (the default of a run)
  kPath,      // bytewise order of names within each directory
  kMtime,     // oldest modification time first, over the whole run
};

// "rotation", "path", "mtime".
std::string_view FileOrderName(FileOrder order);
// The order named `name` (as FileOrderName spells it); nullopt for any other text.
std::optional<FileOrder> ParseFileOrder(std::string_view name);

// A name read as a rotated member (see the rule above). Views point into the parsed name.
struct RotatedName {
  enum class Kind { kNumbered, kDated };
  Kind kind = Kind::kNumbered;
  std::string_view base;  // NAME
  uint32_t number = 0;    // kNumbered: N
  std::string stamp;      // kDated: the digits of STAMP, in order
  std::string_view ext;   // the compression suffix without its dot; empty when none
};

// `name` (one path component, no '/') read as a rotated member of some NAME; nullopt when it is
// not of that form. Whether it belongs to a family depends on its siblings (RotationOrder).
std::optional<RotatedName> ParseRotatedName(std::string_view name);

// The rotation order of `names`, the distinct names of one directory: a permutation of their
// indices, first to visit first.
std::vector<std::size_t> RotationOrder(const std::vector<std::string_view>& names);

}  // namespace ringflow::run

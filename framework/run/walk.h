// File discovery: walks paths given on the command line the way `find -L ROOT -type f` does and
// hands every regular file to a callback, in a deterministic order, without ever opening anything
// but directories. Problems with single paths go to a second callback and the walk goes on.
// Walk() keeps no state between calls and may run on several threads at once; the callbacks run
// synchronously on the calling thread. It holds at most one descriptor per directory level.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/core/result.h"
#include "framework/run/rotation.h"

namespace ringflow::run {

struct WalkOptions {
  // true: directories given as roots are walked to any depth. false: only roots that are files
  // are reported; a root that is a directory goes to on_skip as "Is a directory (EISDIR)".
  bool recursive = true;
  // Entries whose name starts with '.' are skipped silently (files not reported, directories not
  // entered). Roots are never skipped, so "." and ".hidden/" given by the user are walked.
  bool skip_hidden = false;
  // With skip_hidden: called with the path of every hidden entry skipped (file or directory;
  // not stat'ed, not entered), in walk order, so that the caller can say what it left out.
  std::function<void(const std::string& path)> on_hidden;
  // The order of the entries within each directory: kPath, bytewise; kRotation, logrotate's
  // rotated sets oldest first (RotationOrder in rotation.h). kMtime is an order over the whole
  // walk, which a walk cannot give: it walks as kPath and the caller sorts (Discover does).
  FileOrder order = FileOrder::kPath;
};

// size_hint when the walker did not stat the file (the directory entry alone said it is regular).
inline constexpr uint64_t kWalkNoSize = std::numeric_limits<uint64_t>::max();

// A regular file found by Walk().
struct WalkFile {
  // Spelled as `find -L ROOT` spells it: ROOT, then '/' unless ROOT already ends in '/', then the
  // names below it ("." gives "./a/b.log", "dir/" gives "dir/a", "dir//" gives "dir//a"). A root
  // that is a file is passed on as given.
  std::string path;
  // st_size where the walker had to stat anyway (roots, symlinks, file systems without d_type);
  // kWalkNoSize otherwise. Only a hint: the file may change before it is read.
  uint64_t size_hint = kWalkNoSize;
  // The file's identity as the walk saw it, for telling whether two paths are one file without
  // a stat each: st_dev/st_ino where the walker stat'ed the file; otherwise the directory's
  // st_dev and the entry's d_ino (the same as st_ino except on a mount point). 0: not known.
  uint64_t dev_hint = 0;
  uint64_t inode_hint = 0;
};

using WalkFileCallback = std::function<void(WalkFile&& file)>;
// `why` is the reason alone ("No such file or directory (ENOENT)"); callers print
// "ringflow: PATH: reason". `path` is spelled like WalkFile::path; both live only for the call.
using WalkSkipCallback = std::function<void(const std::string& path, const Error& why)>;

// Walks `roots` in the order given. Symlinks are followed, both as roots and inside the tree.
// Within a directory, entries are visited in bytewise (strcmp) order of their names, or in
// rotation order with options.order == kRotation, depth first, so the same tree always gives the
// same sequence of calls.
//
// on_file gets every regular file. on_skip gets, with the walk going on afterwards:
//   - a root or entry that cannot be stat'ed or opened: the errno, e.g. kNotFound/ENOENT for a
//     missing root, kPermissionDenied/EACCES for an unreadable directory, kResourceExhausted/EMFILE
//     when the descriptor limit is below the directory depth;
//   - a dangling symlink: kNotFound, ENOENT, "dangling symlink: No such file or ...";
//   - a symlink chain that does not resolve: ELOOP, "Too many levels of symbolic links (ELOOP)";
//   - a directory that is already on the path from its root (a symlink or bind mount back to an
//     ancestor): ELOOP, "file system loop (same directory as 'ANCESTOR'): ...". It is not entered,
//     so the walk always ends;
//   - a FIFO, socket, or device: kInvalidArgument, errno 0, "not a regular file (fifo)",
//     "(socket)", "(character device)", "(block device)". These are never opened;
//   - a directory root when !options.recursive: kIsDirectory, EISDIR;
//   - an error while reading a directory: "reading directory: <errno text>"; entries read before
//     it are still visited.
// Returns kInvalidArgument if a callback is empty; otherwise OK, even when on_skip was called.
// Walk() itself does not throw (beyond std::bad_alloc); should a callback throw, the walk's
// descriptors are closed and the exception propagates.
Status Walk(const std::vector<std::string>& roots, const WalkOptions& options,
            const WalkFileCallback& on_file, const WalkSkipCallback& on_skip);

}  // namespace ringflow::run

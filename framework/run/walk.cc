#include "framework/run/walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <string_view>

#include "framework/core/path.h"

namespace ringflow::run {
namespace {

// Large enough that a directory of a few thousand entries is read in one or two syscalls.
constexpr size_t kDirentBufferSize = 64 * 1024;

// Directories are opened by name relative to their parent's descriptor, so lookups stay short
// and the walk is not confused by renames above it. O_NONBLOCK: should a FIFO slip in between the
// type check and the open, O_DIRECTORY fails it with ENOTDIR before anything could block.
constexpr int kDirOpenFlags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK;

Error ErrnoReason(int err) { return Error(ErrorCodeFromErrno(err), DescribeErrno(err), err); }

// One directory on the path from the root to where the walk is. Frames are kept (and their
// buffers reused) after the directory is done; only frames below `depth_` are live.
struct Frame {
  struct Entry {
    size_t offset;  // of the NUL-terminated name in `names`
    size_t length;
    unsigned char type;  // d_type
    ino_t ino;           // d_ino
  };

  int fd = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  size_t prefix_length = 0;  // path_ up to and including the '/' that precedes entry names
  size_t next = 0;           // index into entries of the next one to visit
  std::string names;
  std::vector<Entry> entries;
};

// Directory levels that keep their descriptor open while their children are visited (children
// are then opened relative to it, which is cheaper and works for paths longer than PATH_MAX).
constexpr size_t kHeldDescriptors = 32;

class Walker {
 public:
  Walker(const WalkOptions& options, const WalkFileCallback& on_file,
         const WalkSkipCallback& on_skip)
      : options_(options),
        on_file_(on_file),
        on_skip_(on_skip),
        dirent_buffer_(new char[kDirentBufferSize]) {}

  Walker(const Walker&) = delete;
  Walker& operator=(const Walker&) = delete;

  // Only a callback that throws leaves frames open here.
  ~Walker() {
    for (size_t i = 0; i < depth_; ++i) {
      if (frames_[i]->fd >= 0) ::close(frames_[i]->fd);
    }
  }

  void WalkRoot(const std::string& root) {
    struct stat st;
    if (StatAtAnyLength(AT_FDCWD, root.c_str(), &st, 0) != 0) {
      const int err = errno;
      ReportStatError(root, AT_FDCWD, root.c_str(), err);
      return;
    }
    if (S_ISREG(st.st_mode)) {
      on_file_(WalkFile{root, static_cast<uint64_t>(st.st_size), st.st_dev, st.st_ino});
    } else if (S_ISDIR(st.st_mode)) {
      if (!options_.recursive) {
        on_skip_(root, ErrnoReason(EISDIR));
        return;
      }
      root_ = &root;
      path_ = root;
      PushDirectory(AT_FDCWD, root.c_str());
      Run();
    } else {
      on_skip_(root, NotRegularFileError(st.st_mode));
    }
  }

 private:
  // Visits entries of the frames on the stack until it is empty.
  void Run() {
    while (depth_ > 0) {
      Frame& frame = *frames_[depth_ - 1];
      if (frame.next == frame.entries.size()) {
        if (frame.fd >= 0) ::close(frame.fd);
        frame.fd = -1;
        --depth_;
        continue;
      }
      const Frame::Entry entry = frame.entries[frame.next++];
      // Frames are heap-allocated and `names` is not touched until this frame is reused, which
      // needs it popped first: the pointer stays valid while children are pushed.
      const char* name = frame.names.data() + entry.offset;
      path_.resize(frame.prefix_length);
      path_.append(name, entry.length);
      if (name[0] == '.' && options_.skip_hidden) {
        options_.on_hidden(path_);  // kept in the entries only for this report
        continue;
      }
      // Deep frames hold no descriptor (see kHeldDescriptors): their children are reached by
      // their path from the deepest frame that holds one (of any length: *AtAnyLength).
      int dir_fd = frame.fd;
      if (frame.fd < 0) {
        const Frame& anchor = *frames_[kHeldDescriptors - 1];
        dir_fd = anchor.fd;
        name = path_.c_str() + anchor.prefix_length;
      }
      switch (entry.type) {
        case DT_REG:
          on_file_(WalkFile{path_, kWalkNoSize, frame.dev, entry.ino});
          break;
        case DT_DIR:
          PushDirectory(dir_fd, name);
          break;
        case DT_FIFO:
        case DT_SOCK:
        case DT_CHR:
        case DT_BLK:
          on_skip_(path_, NotRegularFileError(DTTOIF(entry.type)));
          break;
        default:  // DT_LNK, DT_UNKNOWN (file systems without d_type), anything new
          VisitByStat(dir_fd, name);
          break;
      }
    }
  }

  // The entry's type is not known from d_type: stat it, following symlinks.
  void VisitByStat(int dir_fd, const char* name) {
    struct stat st;
    if (StatAtAnyLength(dir_fd, name, &st, 0) != 0) {
      const int err = errno;
      ReportStatError(path_, dir_fd, name, err);
      return;
    }
    if (S_ISREG(st.st_mode)) {
      on_file_(WalkFile{path_, static_cast<uint64_t>(st.st_size), st.st_dev, st.st_ino});
    } else if (S_ISDIR(st.st_mode)) {
      PushDirectory(dir_fd, name);
    } else {
      on_skip_(path_, NotRegularFileError(st.st_mode));
    }
  }

  // A stat that follows symlinks failed with `err`: tells a dangling symlink from a missing entry.
  void ReportStatError(const std::string& path, int dir_fd, const char* name, int err) {
    struct stat lst;
    if (err == ENOENT && StatAtAnyLength(dir_fd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(lst.st_mode)) {
      on_skip_(path, Error(ErrorCodeFromErrno(ENOENT), "dangling symlink: " + DescribeErrno(ENOENT),
                           ENOENT));
      return;
    }
    on_skip_(path, ErrnoReason(err));
  }

  // Opens the directory `name` (relative to dir_fd) whose path is in path_, reads and sorts its
  // entries, and pushes it, unless it is an ancestor of itself or cannot be opened.
  void PushDirectory(int dir_fd, const char* name) {
    const int fd = OpenAtAnyLength(dir_fd, name, kDirOpenFlags);
    if (fd < 0) {
      const int err = errno;
      on_skip_(path_, ErrnoReason(err));
      return;
    }
    // One fstat per directory (not per file) buys loop detection that also sees bind mounts.
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      on_skip_(path_, ErrnoReason(err));
      return;
    }
    for (size_t i = 0; i < depth_; ++i) {
      if (frames_[i]->dev == st.st_dev && frames_[i]->ino == st.st_ino) {
        ::close(fd);
        ReportLoop(i);
        return;
      }
    }

    if (frames_.size() == depth_) frames_.push_back(std::make_unique<Frame>());
    Frame& frame = *frames_[depth_];
    frame.fd = fd;
    frame.dev = st.st_dev;
    frame.ino = st.st_ino;
    // As fts does it: "dir/" gives "dir/a", "dir//" gives "dir//a", "/" gives "/a".
    if (path_.empty() || path_.back() != '/') path_.push_back('/');
    frame.prefix_length = path_.size();
    frame.next = 0;
    ++depth_;  // From here on the destructor closes fd.
    ReadEntries(frame);
    // Below kHeldDescriptors levels a frame gives its descriptor back once its entries are read,
    // so a tree deeper than the descriptor limit is still walked (children by whole path).
    if (depth_ > kHeldDescriptors) {
      ::close(frame.fd);
      frame.fd = -1;
    }
  }

  void ReadEntries(Frame& frame) {
    frame.names.clear();
    frame.entries.clear();
    int read_error = 0;
    for (;;) {
      const ssize_t n = ::getdents64(frame.fd, dirent_buffer_.get(), kDirentBufferSize);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        read_error = errno;
        break;
      }
      for (size_t pos = 0; pos < static_cast<size_t>(n);) {
        // The kernel writes whole, 8-byte aligned dirent64 records into the buffer, and new[]
        // returns memory aligned for any fundamental type, so this cast reads a valid record.
        const auto* d = reinterpret_cast<const struct dirent64*>(dirent_buffer_.get() + pos);
        pos += d->d_reclen;
        const char* entry_name = d->d_name;
        if (entry_name[0] == '.') {
          if (entry_name[1] == '\0' || (entry_name[1] == '.' && entry_name[2] == '\0')) continue;
          if (options_.skip_hidden && !options_.on_hidden) continue;
        }
        const size_t length = std::strlen(entry_name);
        frame.entries.push_back(Frame::Entry{frame.names.size(), length, d->d_type, d->d_ino});
        frame.names.append(entry_name, length + 1);
      }
    }
    if (options_.order == FileOrder::kRotation) {
      SortByRotation(frame);
    } else {
      const char* names = frame.names.data();
      std::sort(frame.entries.begin(), frame.entries.end(),
                [names](const Frame::Entry& a, const Frame::Entry& b) {
                  return std::strcmp(names + a.offset, names + b.offset) < 0;
                });
    }
    if (read_error != 0) {
      on_skip_(path_.substr(0, DirPathLength(frame)),
               Error(ErrorCodeFromErrno(read_error),
                     "reading directory: " + DescribeErrno(read_error), read_error));
    }
  }

  void SortByRotation(Frame& frame) {
    rotation_names_.clear();
    for (const Frame::Entry& entry : frame.entries) {
      rotation_names_.emplace_back(frame.names.data() + entry.offset, entry.length);
    }
    const std::vector<std::size_t> order = RotationOrder(rotation_names_);
    sorted_entries_.clear();
    for (std::size_t i : order) sorted_entries_.push_back(frame.entries[i]);
    frame.entries.swap(sorted_entries_);
  }

  // Length of the directory's own spelling in path_: its prefix without the '/' added for
  // entries. The root keeps a trailing '/' the user typed, as find prints it.
  size_t DirPathLength(const Frame& frame) const {
    if (&frame == frames_[0].get()) return root_->size();
    return frame.prefix_length - 1;
  }

  void ReportLoop(size_t ancestor) {
    const Frame& frame = *frames_[ancestor];
    std::string message = "file system loop (same directory as '";
    message.append(path_, 0, DirPathLength(frame));
    message += "'): ";
    message += DescribeErrno(ELOOP);
    on_skip_(path_, Error(ErrorCodeFromErrno(ELOOP), std::move(message), ELOOP));
  }

  const WalkOptions& options_;
  const WalkFileCallback& on_file_;
  const WalkSkipCallback& on_skip_;
  std::unique_ptr<char[]> dirent_buffer_;
  const std::string* root_ = nullptr;  // the root being walked, as given
  std::string path_;  // path of the entry being visited; reused so files cost one copy each
  std::vector<std::unique_ptr<Frame>> frames_;
  size_t depth_ = 0;  // live frames in frames_
  // Scratch space of SortByRotation, kept to reuse its allocations from directory to directory.
  std::vector<std::string_view> rotation_names_;
  std::vector<Frame::Entry> sorted_entries_;
};

}  // namespace

Status Walk(const std::vector<std::string>& roots, const WalkOptions& options,
            const WalkFileCallback& on_file, const WalkSkipCallback& on_skip) {
  if (!on_file || !on_skip) {
    return Error(ErrorCode::kInvalidArgument, "Walk: on_file and on_skip must be set");
  }
  Walker walker(options, on_file, on_skip);
  for (const std::string& root : roots) walker.WalkRoot(root);
  return OkStatus();
}

}  // namespace ringflow::run

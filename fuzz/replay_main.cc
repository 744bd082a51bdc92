// File: fuzz/replay_main.cc
// Replays a fuzz corpus through a libFuzzer entry point without libFuzzer, so
// the normal test build (g++, no sanitizer needed) checks every corpus input.
//
//   fuzz_spf_record_replay fuzz/corpus/fuzz_spf_record   # every file in the dir
//
// Exit status 0 when every input ran; a crash is the failure signal. Prints the
// plain "N passed, 0 failed" closing line.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  size_t ran = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<fs::path> files;
    fs::path root(argv[i]);
    if (fs::is_directory(root)) {
      for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file()) files.push_back(e.path());
    } else if (fs::is_regular_file(root)) {
      files.push_back(root);
    } else {
      std::fprintf(stderr, "replay: no such corpus: %s\n", argv[i]);
      return 2;
    }
    for (const auto& f : files) {
      std::string bytes;
      if (FILE* fp = std::fopen(f.c_str(), "rb")) {
        char buf[65536];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, fp)) > 0) bytes.append(buf, n);
        std::fclose(fp);
      }
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++ran;
    }
  }
  if (ran == 0) {
    std::fprintf(stderr, "replay: corpus is empty\n");
    return 1;
  }
  std::printf("%zu passed, 0 failed\n", ran);
  return 0;
}

// replay_main.cpp: runs a fuzz target without libFuzzer (gcc builds, ctest): every file of the
// seed corpus directories given as arguments, then deterministic mutations of each seed
// (byte flips, insertions, truncations, splices). Real coverage-guided fuzzing: scripts/fuzz.sh.
#include <dirent.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::uint64_t g_state = 0x9E3779B97F4A7C15ull;
std::uint64_t next_random() {  // xorshift64*: the same sequence on every run
  g_state ^= g_state >> 12;
  g_state ^= g_state << 25;
  g_state ^= g_state >> 27;
  return g_state * 2685821657736338717ull;
}

void run(const std::string& s) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

std::string mutate(const std::string& seed, const std::vector<std::string>& all) {
  std::string s = seed;
  int edits = 1 + static_cast<int>(next_random() % 4);
  static const char kInteresting[] = ":\n\r.{}[]\"\\,0-9";
  for (int e = 0; e < edits; ++e) {
    std::size_t pos = s.empty() ? 0 : next_random() % (s.size() + 1);
    switch (next_random() % 5) {
      case 0:
        if (!s.empty() && pos < s.size()) s[pos] = static_cast<char>(next_random());
        break;
      case 1:
        s.insert(pos, 1, kInteresting[next_random() % (sizeof kInteresting - 1)]);
        break;
      case 2: s.resize(pos); break;
      case 3: s.insert(pos, all[next_random() % all.size()]); break;
      default:
        if (pos < s.size()) s.erase(pos, 1 + next_random() % 8);
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) {
    DIR* dir = ::opendir(argv[i]);
    if (!dir) {
      std::fprintf(stderr, "replay: cannot open corpus directory %s\n", argv[i]);
      return 2;
    }
    while (dirent* e = ::readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream in(std::string(argv[i]) + "/" + e->d_name, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      seeds.push_back(ss.str());
    }
    ::closedir(dir);
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "replay: no seeds\n");
    return 2;
  }
  const char* env = std::getenv("SB_FUZZ_MUTATIONS");
  long mutations = env ? std::atol(env) : 20000;
  for (const auto& s : seeds) run(s);
  for (long i = 0; i < mutations; ++i) run(mutate(seeds[next_random() % seeds.size()], seeds));
  std::printf("replay: %zu seeds, %ld mutations, no crash\n", seeds.size(), mutations);
  return 0;
}

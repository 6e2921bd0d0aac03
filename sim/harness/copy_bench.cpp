// Plain Verilator C++ harness for nic_top: the speed limit every co-simulation figure is held
// against. No cocotb, no VPI, no Python: the AXI-Lite master and AXI4 slave over a flat memory of
// axi_host.h, and the same interrupt-driven copy loop the host driver runs.
//
//   copy_bench CASES_FILE [REPEAT]   (one "len src_off dst_off" per line; the list runs REPEAT times)
// prints one JSON line: {"copies", "bytes", "cycles", "wall_s", "cycles_per_s"}; exit 1 on a
// wrong byte or a copy error.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "axi_host.h"
#include "zcnic_abi.h"

namespace {

// Buffers live in the top 64 MiB below 4 GiB, as IOVAs do; the descriptor in the top page.
constexpr uint32_t kBase = 0xFC000000u;
constexpr uint64_t kSize = (1ull << 32) - kBase;
constexpr uint32_t kDesc = 0xFFFFF000u;
constexpr uint32_t kPage = 4096;

/** Run until an interrupt pulse on vector 0. */
void waitIrq(zcnic::AxiHost& h) {
    for (uint64_t n = 0; n < 50'000'000; ++n) {
        h.tick();
        if (h.irq() & 1) return;
    }
    h.fail("no interrupt");
}

uint64_t rng = 0x9E3779B97F4A7C15ull;
uint8_t nextByte() {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return static_cast<uint8_t>(rng);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: copy_bench CASES_FILE [REPEAT]\n");
        return 2;
    }
    const int repeat = argc == 3 ? std::atoi(argv[2]) : 1;
    std::ifstream in(argv[1]);
    std::vector<uint32_t> cases[3];
    for (uint32_t len, s, d; in >> len >> s >> d;) {
        cases[0].push_back(len);
        cases[1].push_back(s);
        cases[2].push_back(d);
    }
    auto ctx = std::make_unique<VerilatedContext>();
    zcnic::AxiHost h(ctx.get(), kBase, kSize);
    h.reset();
    h.mmioWrite(ZCNIC_REG_IRQ_MASK, 3);
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t c0 = h.cycles();
    uint64_t bytes = 0;
    for (int r = 0; r < repeat; ++r) {
      uint64_t slot = kBase;
      for (std::size_t n = 0; n < cases[0].size(); ++n) {
        const uint32_t len = cases[0][n], so = cases[1][n], dof = cases[2][n];
        const uint32_t src = uint32_t(slot) + so;
        slot += (so + len + kPage - 1) / kPage * kPage;
        const uint32_t dst = uint32_t(slot) + dof;
        slot += (dof + len + kPage - 1) / kPage * kPage;
        uint8_t* s = h.at(src, len);
        for (uint32_t i = 0; i < len; ++i) s[i] = nextByte();
        const uint32_t desc[4] = {src, dst, len, uint32_t(n)};
        std::memcpy(h.at(kDesc, sizeof desc), desc, sizeof desc);  // little-endian host
        h.mmioWrite(ZCNIC_REG_COPY_DESC_ADDR, kDesc);
        h.mmioWrite(ZCNIC_REG_COPY_DOORBELL, 1);
        waitIrq(h);
        h.mmioWrite(ZCNIC_REG_IRQ_STATUS, h.mmioRead(ZCNIC_REG_IRQ_STATUS));
        if ((h.mmioRead(ZCNIC_REG_COPY_STATUS) & 0xFFu) != (1u << ZCNIC_COPY_STATUS_DONE_LSB)) h.fail("copy ended with an error");
        if (std::memcmp(h.at(src, len), h.at(dst, len), len) != 0) h.fail("wrong bytes at the destination");
        bytes += len;
      }
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const uint64_t cycles = h.cycles() - c0;
    std::printf("{\"copies\": %zu, \"bytes\": %llu, \"cycles\": %llu, \"wall_s\": %.6f, \"cycles_per_s\": %.1f}\n", cases[0].size() * repeat,
                static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(cycles), wall, cycles / wall);
    return 0;
}

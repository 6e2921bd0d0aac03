// Plain Verilator C++ harness for nic_top: the speed limit every co-simulation figure is held
// against. No cocotb, no VPI, no Python: an AXI-Lite master, an AXI4 slave over a flat memory,
// and the same interrupt-driven copy loop the host driver runs.
//
//   copy_bench CASES_FILE [REPEAT]   (one "len src_off dst_off" per line; the list runs REPEAT times)
// prints one JSON line: {"copies", "bytes", "cycles", "wall_s", "cycles_per_s"}; exit 1 on a
// wrong byte or a copy error.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <vector>

#include "Vnic_top.h"
#include "verilated.h"
#include "zcnic_abi.h"

namespace {

// Buffers live in the top 64 MiB below 4 GiB, as IOVAs do; the descriptor in the top page.
constexpr uint64_t kBase = 0xFC000000u;
constexpr uint64_t kSize = (1ull << 32) - kBase;
constexpr uint32_t kDesc = 0xFFFFF000u;
constexpr uint32_t kPage = 4096;

// Data signals are QData up to 64 bits and VlWide<N> above: byte access for both.
inline uint8_t getByte(const QData& v, int i) { return static_cast<uint8_t>(v >> (8 * i)); }
template <std::size_t N> uint8_t getByte(const VlWide<N>& v, int i) { return static_cast<uint8_t>(v[i / 4] >> (8 * (i % 4))); }
inline void setByte(QData& v, int i, uint8_t b) { v = (v & ~(0xFFull << (8 * i))) | (QData(b) << (8 * i)); }
template <std::size_t N> void setByte(VlWide<N>& v, int i, uint8_t b) {
    v[i / 4] = (v[i / 4] & ~(0xFFu << (8 * (i % 4)))) | (uint32_t(b) << (8 * (i % 4)));
}
template <typename T> bool strbBit(const T& s, int i) { return (static_cast<uint64_t>(s) >> i) & 1; }

struct Burst {
    uint32_t addr;
    int beats;
    int beat = 0;
};

class Harness {
  public:
    explicit Harness(VerilatedContext* ctx) : top_(new Vnic_top{ctx}), mem_(kSize, 0) {}

    static constexpr int kLanes = sizeof(Vnic_top::m_axi_wdata) >= 8 ? int(sizeof(Vnic_top::m_axi_wdata)) : 8;

    uint8_t* at(uint32_t addr, uint32_t len) {
        if (addr < kBase || uint64_t(addr) + len > kBase + kSize) {
            std::fprintf(stderr, "access 0x%08x+%u outside the harness memory\n", addr, len);
            std::exit(1);
        }
        return &mem_[addr - kBase];
    }

    void reset() {
        top_->rst = 1;
        for (int i = 0; i < 8; ++i) tick();
        top_->rst = 0;
        for (int i = 0; i < 4; ++i) tick();
    }

    void mmioWrite(uint32_t addr, uint32_t data) {
        top_->s_axil_awaddr = addr;
        top_->s_axil_wdata = data;
        top_->s_axil_wstrb = 0xF;
        bool aw = true, w = true;
        top_->s_axil_bready = 1;
        for (;;) {
            top_->s_axil_awvalid = aw;
            top_->s_axil_wvalid = w;
            top_->clk = 0;
            top_->eval();
            const bool awFire = aw && top_->s_axil_awready, wFire = w && top_->s_axil_wready;
            const bool bFire = top_->s_axil_bvalid;
            const uint32_t resp = top_->s_axil_bresp;
            tick();
            aw = aw && !awFire;
            w = w && !wFire;
            if (bFire) {
                if (resp != 0) fail("MMIO write answered an error");
                break;
            }
        }
        top_->s_axil_awvalid = 0;
        top_->s_axil_wvalid = 0;
    }

    uint32_t mmioRead(uint32_t addr) {
        top_->s_axil_araddr = addr;
        top_->s_axil_rready = 1;
        bool ar = true;
        for (;;) {
            top_->s_axil_arvalid = ar;
            top_->clk = 0;
            top_->eval();
            const bool arFire = ar && top_->s_axil_arready;
            const bool rFire = top_->s_axil_rvalid;
            const uint32_t data = top_->s_axil_rdata;
            tick();
            ar = ar && !arFire;
            if (rFire) {
                top_->s_axil_arvalid = 0;
                return data;
            }
        }
    }

    /** Run until an interrupt pulse on vector 0. */
    void waitIrq() {
        for (uint64_t n = 0; n < 50'000'000; ++n) {
            top_->clk = 0;
            top_->eval();
            const bool irq = top_->irq & 1;
            tick();
            if (irq) return;
        }
        fail("no interrupt");
    }

    uint64_t cycles() const { return cycles_; }

    [[noreturn]] void fail(const char* what) {
        std::fprintf(stderr, "harness: %s at cycle %llu\n", what, static_cast<unsigned long long>(cycles_));
        std::exit(1);
    }

  private:
    // One clock: drive the DMA slave's outputs for this cycle, note which handshakes happen at
    // the rising edge (valid && ready before it), take the edge, then update the model.
    void tick() {
        top_->clk = 0;
        driveSlave();
        top_->eval();
        const bool arFire = top_->m_axi_arvalid && top_->m_axi_arready;
        const bool rFire = top_->m_axi_rvalid && top_->m_axi_rready;
        const bool awFire = top_->m_axi_awvalid && top_->m_axi_awready;
        const bool wFire = top_->m_axi_wvalid && top_->m_axi_wready;
        const bool bFire = top_->m_axi_bvalid && top_->m_axi_bready;
        if (arFire) reads_.push_back({top_->m_axi_araddr, top_->m_axi_arlen + 1});
        if (awFire) writes_.push_back({top_->m_axi_awaddr, top_->m_axi_awlen + 1});
        if (wFire) acceptBeat();
        top_->clk = 1;
        top_->eval();
        ++cycles_;
        if (rFire) {
            Burst& b = reads_.front();
            if (++b.beat == b.beats) reads_.pop_front();
        }
        if (bFire) --bPending_;
    }

    void driveSlave() {
        top_->m_axi_arready = 1;
        top_->m_axi_awready = 1;
        top_->m_axi_wready = !writes_.empty();
        top_->m_axi_rvalid = !reads_.empty();
        top_->m_axi_rresp = 0;
        top_->m_axi_rid = 0;
        if (!reads_.empty()) {
            const Burst& b = reads_.front();
            const uint32_t word = (b.addr & ~uint32_t(kLanes - 1)) + uint32_t(b.beat) * kLanes;
            const uint8_t* p = at(word, kLanes);
            for (int i = 0; i < kLanes; ++i) setByte(top_->m_axi_rdata, i, p[i]);
            top_->m_axi_rlast = b.beat + 1 == b.beats;
        }
        top_->m_axi_bvalid = bPending_ > 0;
        top_->m_axi_bresp = 0;
        top_->m_axi_bid = 0;
    }

    void acceptBeat() {
        Burst& b = writes_.front();
        const uint32_t word = (b.addr & ~uint32_t(kLanes - 1)) + uint32_t(b.beat) * kLanes;
        uint8_t* p = at(word, kLanes);
        for (int i = 0; i < kLanes; ++i)
            if (strbBit(top_->m_axi_wstrb, i)) p[i] = getByte(top_->m_axi_wdata, i);
        if (++b.beat == b.beats) {
            writes_.pop_front();
            ++bPending_;
        }
    }

    std::unique_ptr<Vnic_top> top_;
    std::vector<uint8_t> mem_;
    std::deque<Burst> reads_, writes_;
    int bPending_ = 0;
    uint64_t cycles_ = 0;
};

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
    Harness h(ctx.get());
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
        h.waitIrq();
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

// The host side of nic_top for the plain Verilator C++ harnesses (copy_bench, nic_bench): an
// AXI4-Lite master for the register window and an AXI4 slave over a flat memory, both driven
// from one clock loop. No cocotb, no VPI, no Python.
//
// The AXI4 slave accepts every AR and AW at once (any ID, any number outstanding), answers R
// bursts in order of acceptance and B responses per AW once its W beats are in, echoing the IDs
// (in-order responses are legal AXI). A write burst lands in memory as a whole at its last W
// beat. INCR bursts of any size (narrow ones too); a FIXED or WRAP burst, a misplaced WLAST or
// an access outside the memory stops the run with an error.

#ifndef ZCNIC_AXI_HOST_H
#define ZCNIC_AXI_HOST_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include "Vnic_top.h"
#include "verilated.h"

namespace zcnic {

// Data signals are QData up to 64 bits and VlWide<N> above: whole-word copies for both
// (the host is little-endian, like the bus).
inline void putWord(QData& v, const uint8_t* p) { std::memcpy(&v, p, sizeof v); }
template <std::size_t N> void putWord(VlWide<N>& v, const uint8_t* p) { std::memcpy(v.data(), p, N * sizeof(EData)); }
inline void getWord(const QData& v, uint8_t* p) { std::memcpy(p, &v, sizeof v); }
template <std::size_t N> void getWord(const VlWide<N>& v, uint8_t* p) { std::memcpy(p, v.data(), N * sizeof(EData)); }

class AxiHost {
  public:
    /** Bytes per data beat (DATA_WIDTH / 8). */
    static constexpr int kLanes = int(sizeof(Vnic_top::m_axi_wdata));
    static_assert(kLanes >= 8 && kLanes <= 64, "nic_top DATA_WIDTH must be 64..512");

    /** A memory of `size` bytes at bus address `base` (base + size <= 2^32). */
    AxiHost(VerilatedContext* ctx, uint32_t base, uint64_t size) : top_(new Vnic_top{ctx}), base_(base), mem_(size, 0) {
        top_->clk = 0;
        top_->rst = 1;
        top_->s_axil_awprot = 0;
        top_->s_axil_arprot = 0;
        top_->s_axil_awvalid = 0;
        top_->s_axil_wvalid = 0;
        top_->s_axil_arvalid = 0;
        top_->s_axil_bready = 1;
        top_->s_axil_rready = 1;
    }

    Vnic_top& top() { return *top_; }
    uint64_t cycles() const { return cycles_; }
    /** irq as seen before the last rising edge (one bit per vector). */
    uint64_t irq() const { return irq_; }

    /** Host pointer to [addr, addr+len) of the memory; stops the run if the range is outside it. */
    uint8_t* at(uint32_t addr, uint32_t len) {
        if (addr < base_ || uint64_t(addr) + len > base_ + mem_.size()) {
            std::fprintf(stderr, "harness: access 0x%08x+%u outside the harness memory [0x%08x, 0x%08llx) at cycle %llu\n", addr, len,
                         base_, static_cast<unsigned long long>(base_ + mem_.size()), static_cast<unsigned long long>(cycles_));
            std::exit(1);
        }
        return &mem_[addr - base_];
    }
    template <typename T> T load(uint32_t addr) {
        T v;
        std::memcpy(&v, at(addr, sizeof v), sizeof v);
        return v;
    }
    template <typename T> void store(uint32_t addr, T v) { std::memcpy(at(addr, sizeof v), &v, sizeof v); }

    void reset() {
        top_->rst = 1;
        for (int i = 0; i < 8; ++i) tick();
        top_->rst = 0;
        for (int i = 0; i < 4; ++i) tick();
    }

    /** AXI4-Lite write; returns BRESP. The DMA slave keeps running meanwhile. */
    uint32_t mmioWriteResp(uint32_t addr, uint32_t data) {
        top_->s_axil_awaddr = addr;
        top_->s_axil_wdata = data;
        top_->s_axil_wstrb = 0xF;
        top_->s_axil_bready = 1;
        bool aw = true, w = true;
        for (uint64_t n = 0; n < 100000; ++n) {
            top_->s_axil_awvalid = aw;
            top_->s_axil_wvalid = w;
            tick();
            aw = aw && !pre_.awready;
            w = w && !pre_.wready;
            if (pre_.bvalid) {
                top_->s_axil_awvalid = 0;
                top_->s_axil_wvalid = 0;
                return pre_.bresp;
            }
        }
        fail("MMIO write not answered");
    }

    void mmioWrite(uint32_t addr, uint32_t data) {
        if (mmioWriteResp(addr, data) != 0) {
            std::fprintf(stderr, "harness: MMIO write 0x%04x = 0x%08x answered an error\n", addr, data);
            fail("MMIO write error");
        }
    }

    /** AXI4-Lite read (RRESP ignored). The DMA slave keeps running meanwhile. */
    uint32_t mmioRead(uint32_t addr) {
        top_->s_axil_araddr = addr;
        top_->s_axil_rready = 1;
        bool ar = true;
        for (uint64_t n = 0; n < 100000; ++n) {
            top_->s_axil_arvalid = ar;
            tick();
            ar = ar && !pre_.arready;
            if (pre_.rvalid) {
                top_->s_axil_arvalid = 0;
                return pre_.rdata;
            }
        }
        fail("MMIO read not answered");
    }

    [[noreturn]] void fail(const char* what) {
        std::fprintf(stderr, "harness: %s at cycle %llu\n", what, static_cast<unsigned long long>(cycles_));
        std::exit(1);
    }

    // One clock: drive the DMA slave's outputs for this cycle, note which handshakes happen at
    // the rising edge (valid && ready before it), take the edge, then update the model.
    void tick() {
        Vnic_top* t = top_.get();
        t->clk = 0;
        driveSlave();
        t->eval();
        const bool arFire = t->m_axi_arvalid && t->m_axi_arready;
        const bool rFire = t->m_axi_rvalid && t->m_axi_rready;
        const bool awFire = t->m_axi_awvalid && t->m_axi_awready;
        const bool wFire = t->m_axi_wvalid && t->m_axi_wready;
        const bool bFire = t->m_axi_bvalid && t->m_axi_bready;
        pre_.awready = t->s_axil_awready;
        pre_.wready = t->s_axil_wready;
        pre_.bvalid = t->s_axil_bvalid && t->s_axil_bready;
        pre_.bresp = t->s_axil_bresp;
        pre_.arready = t->s_axil_arready;
        pre_.rvalid = t->s_axil_rvalid && t->s_axil_rready;
        pre_.rdata = t->s_axil_rdata;
        irq_ = static_cast<uint64_t>(t->irq);
        if (arFire) reads_.push_back(burst(t->m_axi_arid, t->m_axi_araddr, t->m_axi_arlen, t->m_axi_arsize, t->m_axi_arburst));
        if (awFire) writes_.push_back(burst(t->m_axi_awid, t->m_axi_awaddr, t->m_axi_awlen, t->m_axi_awsize, t->m_axi_awburst));
        if (wFire) acceptBeat();
        t->clk = 1;
        t->eval();
        ++cycles_;
        if (rFire) {
            Burst& b = reads_.front();
            if (++b.beat == b.beats) reads_.pop_front();
        }
        if (bFire) bids_.pop_front();
    }

  private:
    struct Burst {
        uint32_t id;
        uint32_t addr;
        int size;  // log2 bytes per beat
        int beats;
        int beat = 0;
        /** Bus-word address of the current beat. */
        uint32_t word() const {
            const uint32_t a = beat == 0 ? addr : (addr & ~((1u << size) - 1)) + (uint32_t(beat) << size);
            return a & ~uint32_t(kLanes - 1);
        }
    };

    Burst burst(uint32_t id, uint32_t addr, uint32_t len, uint32_t size, uint32_t type) {
        if (type != 1) fail("FIXED or WRAP burst (only INCR is modelled)");
        if ((1 << size) > kLanes) fail("burst size wider than the data bus");
        return Burst{id, addr, int(size), int(len) + 1};
    }

    void driveSlave() {
        Vnic_top* t = top_.get();
        t->m_axi_arready = 1;
        t->m_axi_awready = 1;
        t->m_axi_wready = !writes_.empty();
        t->m_axi_rvalid = !reads_.empty();
        t->m_axi_rresp = 0;
        if (!reads_.empty()) {
            const Burst& b = reads_.front();
            putWord(t->m_axi_rdata, at(b.word(), kLanes));
            t->m_axi_rid = b.id;
            t->m_axi_rlast = b.beat + 1 == b.beats;
        }
        t->m_axi_bvalid = !bids_.empty();
        t->m_axi_bresp = 0;
        t->m_axi_bid = bids_.empty() ? 0 : bids_.front();
    }

    // W beats are staged and the burst lands in memory at its last beat, as a posted write
    // (one PCIe TLP) becomes visible to the host as a whole: the driver polling a completion
    // entry never sees half of it.
    void acceptBeat() {
        Vnic_top* t = top_.get();
        Burst& b = writes_.front();
        Staged& s = staged_[b.beat];
        s.word = b.word();
        at(s.word, kLanes);  // check the range now, at the beat that goes astray
        s.strb = static_cast<uint64_t>(t->m_axi_wstrb);
        getWord(t->m_axi_wdata, s.data);
        if (++b.beat < b.beats) {
            if (t->m_axi_wlast) fail("WLAST before the last beat of a write burst");
            return;
        }
        if (!t->m_axi_wlast) fail("WLAST missing on the last beat of a write burst");
        constexpr uint64_t all = kLanes == 64 ? ~0ull : (1ull << kLanes) - 1;
        for (int k = 0; k < b.beats; ++k) {
            const Staged& w = staged_[k];
            uint8_t* p = &mem_[w.word - base_];
            if (w.strb == all) {
                std::memcpy(p, w.data, kLanes);
            } else {
                for (int i = 0; i < kLanes; ++i)
                    if ((w.strb >> i) & 1) p[i] = w.data[i];
            }
        }
        bids_.push_back(b.id);
        writes_.pop_front();
    }

    struct Staged {
        uint32_t word;
        uint64_t strb;
        uint8_t data[kLanes];
    };
    Staged staged_[256];  // one write burst (AXI4: at most 256 beats)

    struct Sampled {
        bool awready = false, wready = false, bvalid = false, arready = false, rvalid = false;
        uint32_t bresp = 0, rdata = 0;
    };

    std::unique_ptr<Vnic_top> top_;
    uint32_t base_;
    std::vector<uint8_t> mem_;
    std::deque<Burst> reads_, writes_;
    std::deque<uint32_t> bids_;
    Sampled pre_;
    uint64_t irq_ = 0;
    uint64_t cycles_ = 0;
};

}  // namespace zcnic

#endif

// The burst-level co-simulation port: the C++ half of tb/cosim/port/zcnic_port_top.sv.
//
// Called once per rising clock edge from the wrapper (zcport_tick), it is the NIC's AXI4 DMA slave,
// its AXI4-Lite register master, the MAC stream sink (TX) and source (RX) and the interrupt
// capture. Everything the NIC does becomes a whole-burst or whole-frame event stamped with its
// cycle; cocotb drains them once per sync window (zcport_drain) and hands the host's replies back
// (zcport_push), which the port applies at their stamped cycles. No Python runs between windows.
//
// Timing (docs/cosim-port.md): a handshake happens at the edge where valid and ready were both
// high before it, and an event is stamped with that edge's cycle. An interrupt line is stamped
// with the edge at which it is seen high. A host message stamped c takes effect right after
// edge c. MMIO operations run one at a time, in the host's order. Read data returns in request
// order, one burst after another; write responses go back in order. Backpressure (off by
// default) pauses ready/valid from seeded generators, one per channel.
//
// Bad replies are refused in Python before they reach the port (E_BAD_FIELD, E_SEQUENCE); what
// the port itself finds wrong is an RTL protocol violation, reported by zcport_failure().

#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "svdpi.h"
#include "zcnic_abi.h"  // the port's event and message kinds, its record (src/abi/link.ts PORT)

namespace {

constexpr uint32_t kMaxFrame = ZCNIC_PORT_MAX_FRAME_BYTES;
constexpr size_t kMaxOutstanding = 64;  // bursts accepted ahead of their completion, per direction

// device -> host events (tb/zcnic_tb/port.py maps them to bridge messages)
enum Ev : uint8_t {
    EV_RD_REQ = ZCNIC_PORT_EV_RD_REQ, EV_WR_REQ = ZCNIC_PORT_EV_WR_REQ, EV_IRQ = ZCNIC_PORT_EV_IRQ,
    EV_MMIO_RD_DONE = ZCNIC_PORT_EV_MMIO_RD_DONE, EV_MMIO_WR_DONE = ZCNIC_PORT_EV_MMIO_WR_DONE, EV_ETH_TX = ZCNIC_PORT_EV_ETH_TX,
};
// host -> device messages
enum Host : uint8_t {
    H_RD_CPL = ZCNIC_PORT_H_RD_CPL, H_WR_CPL = ZCNIC_PORT_H_WR_CPL, H_MMIO_RD = ZCNIC_PORT_H_MMIO_RD,
    H_MMIO_WR = ZCNIC_PORT_H_MMIO_WR, H_ETH_RX = ZCNIC_PORT_H_ETH_RX, H_MARK = ZCNIC_PORT_H_MARK,
};

struct Event {
    uint8_t kind;
    uint32_t a, b, c;
    uint64_t cycle;
    std::vector<uint8_t> data;
};

struct HostMsg {
    uint8_t kind;
    uint64_t cycle;
    uint32_t a, b, c;
    std::vector<uint8_t> data;
};

struct Read {
    uint32_t tag, id, beats, size, aligned, addr, len;
    uint32_t beat = 0;
    bool done = false;
    uint32_t resp = 0;
    std::vector<uint8_t> data;
};

struct WriteBurst {
    uint32_t id, addr, beats, size, aligned;
    uint32_t beat = 0;
    std::vector<std::pair<uint32_t, std::vector<uint8_t>>> runs;  // contiguous strobed bytes
};

struct WriteResp {
    uint32_t tag, id;
    bool done;
    uint32_t resp;
};

struct MmioOp {
    bool write;
    uint32_t mid, addr, data;
};

struct RxFrame {
    bool bad;
    std::vector<uint8_t> data;
    size_t off = 0;
};

// seeded ready/valid pauses: xorshift64*, one per channel
struct Pauser {
    uint64_t s = 0;
    uint32_t permille = 0;
    bool pause() {
        if (!permille) return false;
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return ((s * 0x2545F4914F6CDD1DULL) >> 32) % 1000 < permille;
    }
};

struct Port {
    // configuration
    uint32_t lanes = 8, irq_vectors = 1, axil_bits = 13;
    uint64_t period_ps = 0;
    bool started = false;
    uint64_t cycle = 0;
    std::string failure;

    std::vector<Event> out;
    std::deque<HostMsg> in;

    // DMA read slave
    std::deque<std::shared_ptr<Read>> rd_order;
    std::unordered_map<uint32_t, std::shared_ptr<Read>> rd_by_tag;
    uint32_t rd_tag = 0;
    // DMA write slave
    std::deque<WriteBurst> aw_q;
    std::deque<std::shared_ptr<WriteResp>> b_order;
    std::unordered_map<uint32_t, std::shared_ptr<WriteResp>> wr_by_tag;
    uint32_t wr_tag = 0;
    // AXI-Lite master
    std::deque<MmioOp> mmio_q;
    bool op_active = false, aw_sent = false, w_sent = false, ar_sent = false;
    // MAC
    std::vector<uint8_t> tx_frame;
    std::deque<RxFrame> rx_q;
    uint64_t marks = 0;

    Pauser p_ar, p_r, p_aw, p_w, p_b, p_tx, p_rx;

    // registered outputs (what the NIC sees after the edge)
    bool o_awready = false, o_wready = false, o_arready = false, o_bvalid = false, o_rvalid = false, o_rlast = false;
    uint32_t o_bresp = 0, o_rresp = 0, o_bid = 0, o_rid = 0;
    bool o_tx_tready = false, o_rx_tvalid = false, o_rx_tlast = false, o_rx_tuser = false;
    uint64_t o_rx_keep = 0;
    uint8_t o_rdata[64] = {}, o_rx_data[64] = {};
    bool o_axil_awvalid = false, o_axil_wvalid = false, o_axil_arvalid = false, o_axil_bready = false, o_axil_rready = false;
    uint32_t o_axil_addr = 0, o_axil_wdata = 0;
    uint32_t o_evt_a = 0, o_evt_seq = 0;

    void fault(const std::string& why) {
        if (failure.empty()) failure = why;
    }
    void emit(uint8_t kind, uint32_t a, uint32_t b, uint32_t c, std::vector<uint8_t> data = {}) {
        out.push_back(Event{kind, a, b, c, cycle, std::move(data)});
    }
};

Port g;

std::string hex(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%08llx", static_cast<unsigned long long>(v));
    return b;
}

// an AR/AW beat: INCR only, no wider than the bus, within one 4 KiB page (as the Python port)
bool check_burst(const char* kind, const char* p, uint32_t addr, uint32_t ctl, uint32_t* id, uint32_t* beats, uint32_t* size,
                 uint32_t* aligned) {
    *id = ctl & 0xffff;
    *beats = ((ctl >> 16) & 0xff) + 1;
    *size = 1u << ((ctl >> 24) & 7);
    uint32_t burst = (ctl >> 27) & 3;
    std::string where = std::string(kind) + " burst at cycle " + std::to_string(g.cycle) + ": " + p + "addr " + hex(addr) + " " + p +
                        "len " + std::to_string(*beats - 1) + " " + p + "size " + std::to_string(*size) + " B " + p + "id " +
                        std::to_string(*id);
    if (burst != 1) {
        g.fault(where + ": " + (burst == 0 ? "FIXED" : burst == 2 ? "WRAP" : "reserved (3)") + " burst; the bridge carries INCR bursts only");
        return false;
    }
    if (*size > g.lanes) {
        g.fault(where + ": " + p + "size wider than the " + std::to_string(g.lanes) + "-byte data bus");
        return false;
    }
    *aligned = addr & ~(*size - 1);
    uint64_t end = uint64_t(*aligned) + uint64_t(*size) * *beats;
    if ((*aligned & 0xfff) + uint64_t(*size) * *beats > 0x1000) {
        g.fault(where + ": crosses a 4 KiB boundary (" + hex(*aligned) + ".." + hex(end - 1) + ")");
        return false;
    }
    return true;
}

void apply(const HostMsg& m) {
    switch (m.kind) {
        case H_RD_CPL: {
            auto it = g.rd_by_tag.find(m.a);
            if (it == g.rd_by_tag.end()) return;  // refused in Python first
            it->second->resp = m.b;
            it->second->data = m.data;
            it->second->done = true;
            g.rd_by_tag.erase(it);
            break;
        }
        case H_WR_CPL: {
            auto it = g.wr_by_tag.find(m.a);
            if (it == g.wr_by_tag.end()) return;
            it->second->resp = m.b;
            it->second->done = true;
            g.wr_by_tag.erase(it);
            break;
        }
        case H_MMIO_RD: g.mmio_q.push_back(MmioOp{false, m.a, m.b, 0}); break;
        case H_MMIO_WR: g.mmio_q.push_back(MmioOp{true, m.a, m.b, m.c}); break;
        case H_ETH_RX: g.rx_q.push_back(RxFrame{(m.a & 1) != 0, m.data}); break;
        case H_MARK:
            // several in one cycle: the last one's fields win, the sequence counts them all
            g.marks++;
            g.o_evt_a = (m.a & 0xff) | (m.b & 0xff) << 8 | (m.c & 0xffff) << 16;
            g.o_evt_seq = uint32_t(g.marks);
            break;
    }
}

void beat_bytes(const svBitVecVal* v, uint8_t* out, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) out[i] = uint8_t(v[i / 4] >> (8 * (i % 4)));
}

void put_bytes(svBitVecVal* v, const uint8_t* in) {
    for (int i = 0; i < 16; i++) v[i] = uint32_t(in[4 * i]) | uint32_t(in[4 * i + 1]) << 8 | uint32_t(in[4 * i + 2]) << 16 | uint32_t(in[4 * i + 3]) << 24;
}

}  // namespace

extern "C" {

// --- DPI-C, from the wrapper ------------------------------------------------------------------

void zcport_config(int data_bytes, int irq_vectors, int axil_addr_bits) {
    g.lanes = uint32_t(data_bytes);
    g.irq_vectors = uint32_t(irq_vectors);
    g.axil_bits = uint32_t(axil_addr_bits);
}

void zcport_tick(uint64_t t_ps, svBit rst, uint64_t irq, uint32_t axil_in, uint32_t axil_rdata, uint32_t aw_addr, uint32_t aw_ctl,
                 uint32_t ar_addr, uint32_t ar_ctl, const svBitVecVal* w_data, uint64_t w_strb, uint32_t misc_in, const svBitVecVal* tx_data,
                 uint64_t tx_keep, uint32_t* axil_out, uint32_t* axil_awaddr, uint32_t* axil_araddr, uint32_t* axil_wdata, uint32_t* axi_out,
                 uint32_t* axi_ids, svBitVecVal* r_data, svBitVecVal* rx_data, uint64_t* rx_keep, uint32_t* evt_a, uint32_t* evt_seq) {
    Port& p = g;
    if (p.started && p.failure.empty()) {
        p.cycle = t_ps / p.period_ps;
        const uint32_t L = p.lanes;
        const bool awvalid = aw_ctl >> 29 & 1, arvalid = ar_ctl >> 29 & 1;
        const bool wvalid = misc_in & 1, wlast = misc_in >> 1 & 1, bready = misc_in >> 2 & 1, rready = misc_in >> 3 & 1;
        const bool tx_tvalid = misc_in >> 4 & 1, tx_tlast = misc_in >> 5 & 1, rx_tready = misc_in >> 6 & 1;
        const bool l_awready = axil_in & 1, l_wready = axil_in >> 1 & 1, l_bvalid = axil_in >> 2 & 1, l_arready = axil_in >> 3 & 1;
        const bool l_rvalid = axil_in >> 4 & 1;
        const uint32_t l_bresp = axil_in >> 5 & 3, l_rresp = axil_in >> 7 & 3;

        // 1. the handshakes of this edge, from what was driven before it
        if (irq)
            for (uint32_t bit = 0; bit < p.irq_vectors; bit++)
                if (irq >> bit & 1) p.emit(EV_IRQ, bit, 0, 0);
        if (p.o_arready && arvalid) {
            uint32_t id, beats, size, aligned;
            if (check_burst("read", "ar", ar_addr, ar_ctl, &id, &beats, &size, &aligned)) {
                auto r = std::make_shared<Read>();
                r->tag = p.rd_tag++;
                r->id = id, r->beats = beats, r->size = size, r->aligned = aligned, r->addr = ar_addr;
                r->len = uint32_t(uint64_t(aligned) + uint64_t(size) * beats - ar_addr);
                p.rd_order.push_back(r);
                p.rd_by_tag[r->tag] = r;
                p.emit(EV_RD_REQ, r->tag, r->addr, r->len);
            }
        }
        if (p.o_rvalid && rready) {
            auto& r = *p.rd_order.front();
            if (++r.beat == r.beats) p.rd_order.pop_front();
        }
        if (p.o_awready && awvalid) {
            WriteBurst w{};
            if (check_burst("write", "aw", aw_addr, aw_ctl, &w.id, &w.beats, &w.size, &w.aligned)) {
                w.addr = aw_addr;
                p.aw_q.push_back(std::move(w));
            }
        }
        if (p.o_wready && wvalid && !p.aw_q.empty()) {
            WriteBurst& w = p.aw_q.front();
            const uint32_t n = w.beat++;
            if (wlast != (n == w.beats - 1)) {
                p.fault("write burst awaddr " + hex(w.addr) + " awlen " + std::to_string(w.beats - 1) + ": wlast=" + std::to_string(wlast) +
                        " on beat " + std::to_string(n) + " at cycle " + std::to_string(p.cycle));
            } else {
                uint8_t bytes[64];
                beat_bytes(w_data, bytes, L);
                // 64-bit: a burst may end at the top of the 32-bit space (hi = 2^32)
                const uint64_t lo = std::max<uint64_t>(w.addr, uint64_t(w.aligned) + uint64_t(n) * w.size);
                const uint64_t hi = uint64_t(w.aligned) + uint64_t(n + 1) * w.size;
                const uint64_t word = lo & ~uint64_t(L - 1);
                for (uint64_t a = lo; a < hi; a++) {
                    if (!(w_strb >> (a - word) & 1)) continue;
                    if (!w.runs.empty() && w.runs.back().first + w.runs.back().second.size() == a)
                        w.runs.back().second.push_back(bytes[a - word]);
                    else
                        w.runs.push_back({uint32_t(a), {bytes[a - word]}});
                }
                if (n == w.beats - 1) {
                    auto b = std::make_shared<WriteResp>(WriteResp{0, w.id, true, 0});
                    if (!w.runs.empty()) {  // every strobe off: B OKAY without asking the host
                        b->tag = p.wr_tag++;
                        b->done = false;
                        p.wr_by_tag[b->tag] = b;
                        for (auto& run : w.runs) p.emit(EV_WR_REQ, b->tag, run.first, 0, std::move(run.second));
                    }
                    p.b_order.push_back(b);
                    p.aw_q.pop_front();
                }
            }
        }
        if (p.o_bvalid && bready) p.b_order.pop_front();
        if (p.o_tx_tready && tx_tvalid) {
            uint8_t bytes[64];
            beat_bytes(tx_data, bytes, L);
            for (uint32_t i = 0; i < L; i++)
                if (tx_keep >> i & 1) p.tx_frame.push_back(bytes[i]);
            if (p.tx_frame.size() > kMaxFrame) {
                p.fault("MAC TX frame over " + std::to_string(kMaxFrame) + " bytes at cycle " + std::to_string(p.cycle) + ": the bridge carries 1.." +
                        std::to_string(kMaxFrame));
            } else if (tx_tlast) {
                if (p.tx_frame.empty())
                    p.fault("MAC TX frame of 0 bytes ending at cycle " + std::to_string(p.cycle) + ": the bridge carries 1.." + std::to_string(kMaxFrame));
                else
                    p.emit(EV_ETH_TX, 0, 0, 0, std::move(p.tx_frame));
                p.tx_frame.clear();
            }
        }
        if (p.o_rx_tvalid && rx_tready) {
            RxFrame& f = p.rx_q.front();
            f.off += L;
            if (f.off >= f.data.size()) p.rx_q.pop_front();
        }
        // AXI-Lite: one operation at a time, in the host's order (a read never passes a write)
        if (p.op_active) {
            const MmioOp& op = p.mmio_q.front();
            if (op.write) {
                if (p.o_axil_awvalid && l_awready) p.aw_sent = true;
                if (p.o_axil_wvalid && l_wready) p.w_sent = true;
                if (p.o_axil_bready && l_bvalid) {
                    p.emit(EV_MMIO_WR_DONE, op.mid, l_bresp, 0);
                    p.op_active = false;
                }
            } else {
                if (p.o_axil_arvalid && l_arready) p.ar_sent = true;
                if (p.o_axil_rready && l_rvalid) {
                    p.emit(EV_MMIO_RD_DONE, op.mid, l_rresp, axil_rdata);
                    p.op_active = false;
                }
            }
            if (!p.op_active) p.mmio_q.pop_front();
        }

        // 2. the host's messages stamped up to this edge
        while (!p.in.empty() && p.in.front().cycle <= p.cycle) {
            apply(p.in.front());
            p.in.pop_front();
        }

        // 3. what the port drives until the next edge
        p.o_arready = p.rd_order.size() < kMaxOutstanding && !p.p_ar.pause();
        if (!(p.o_rvalid && !rready)) {  // a valid beat stays until taken
            p.o_rvalid = false;
            if (!p.rd_order.empty() && p.rd_order.front()->done && !p.p_r.pause()) {
                const Read& r = *p.rd_order.front();
                uint8_t lanes[64] = {};
                if (r.resp == 0) {
                    const uint64_t lo = std::max<uint64_t>(r.addr, uint64_t(r.aligned) + uint64_t(r.beat) * r.size);
                    const uint64_t hi = uint64_t(r.aligned) + uint64_t(r.beat + 1) * r.size;
                    const uint64_t word = lo & ~uint64_t(L - 1);
                    std::memcpy(lanes + (lo - word), r.data.data() + (lo - r.addr), hi - lo);
                }
                std::memcpy(p.o_rdata, lanes, sizeof lanes);
                p.o_rvalid = true;
                p.o_rlast = r.beat == r.beats - 1;
                p.o_rresp = r.resp;
                p.o_rid = r.id;
            }
        }
        p.o_awready = p.aw_q.size() + p.b_order.size() < kMaxOutstanding && !p.p_aw.pause();
        p.o_wready = !p.aw_q.empty() && !p.p_w.pause();
        if (!(p.o_bvalid && !bready)) {
            p.o_bvalid = !p.b_order.empty() && p.b_order.front()->done && !p.p_b.pause();
            if (p.o_bvalid) p.o_bid = p.b_order.front()->id, p.o_bresp = p.b_order.front()->resp;
        }
        p.o_tx_tready = !p.p_tx.pause();
        if (!(p.o_rx_tvalid && !rx_tready)) {
            p.o_rx_tvalid = false;
            if (!p.rx_q.empty() && !p.p_rx.pause()) {
                const RxFrame& f = p.rx_q.front();
                const size_t n = std::min<size_t>(L, f.data.size() - f.off);
                std::memset(p.o_rx_data, 0, sizeof p.o_rx_data);
                std::memcpy(p.o_rx_data, f.data.data() + f.off, n);
                p.o_rx_keep = n >= 64 ? ~0ULL : (1ULL << n) - 1;
                p.o_rx_tvalid = true;
                p.o_rx_tlast = f.off + n >= f.data.size();
                p.o_rx_tuser = p.o_rx_tlast && f.bad;
            }
        }
        if (!p.op_active && !rst && !p.mmio_q.empty()) {  // MMIO that came during reset waits for its release
            p.op_active = true;
            p.aw_sent = p.w_sent = p.ar_sent = false;
        }
        if (p.op_active) {
            const MmioOp& op = p.mmio_q.front();
            p.o_axil_awvalid = op.write && !p.aw_sent;
            p.o_axil_wvalid = op.write && !p.w_sent;
            p.o_axil_bready = op.write;
            p.o_axil_arvalid = !op.write && !p.ar_sent;
            p.o_axil_rready = !op.write;
            p.o_axil_addr = op.addr;
            p.o_axil_wdata = op.data;
        } else {
            p.o_axil_awvalid = p.o_axil_wvalid = p.o_axil_arvalid = p.o_axil_bready = p.o_axil_rready = false;
        }
    }
    *axil_out = uint32_t(p.o_axil_awvalid) | uint32_t(p.o_axil_wvalid) << 1 | uint32_t(p.o_axil_arvalid) << 2 | uint32_t(p.o_axil_bready) << 3 |
                uint32_t(p.o_axil_rready) << 4 | 0xfu << 5;
    *axil_awaddr = p.o_axil_addr;
    *axil_araddr = p.o_axil_addr;
    *axil_wdata = p.o_axil_wdata;
    *axi_out = uint32_t(p.o_awready) | uint32_t(p.o_wready) << 1 | uint32_t(p.o_arready) << 2 | (p.o_bresp & 3) << 3 | uint32_t(p.o_bvalid) << 5 |
               (p.o_rresp & 3) << 6 | uint32_t(p.o_rlast) << 8 | uint32_t(p.o_rvalid) << 9 | uint32_t(p.o_tx_tready) << 10 |
               uint32_t(p.o_rx_tvalid) << 11 | uint32_t(p.o_rx_tlast) << 12 | uint32_t(p.o_rx_tuser) << 13;
    *axi_ids = (p.o_bid & 0xffff) | (p.o_rid & 0xffff) << 16;
    put_bytes(r_data, p.o_rdata);
    put_bytes(rx_data, p.o_rx_data);
    *rx_keep = p.o_rx_keep;
    *evt_a = p.o_evt_a;
    *evt_seq = p.o_evt_seq;
}

// --- ctypes, from tb/zcnic_tb/port.py ---------------------------------------------------------

__attribute__((visibility("default"))) int zcport_start(uint64_t period_ps, uint64_t seed, uint32_t backpressure_permille) {
    if (period_ps == 0) return -1;
    g.period_ps = period_ps;
    Pauser* ps[] = {&g.p_ar, &g.p_r, &g.p_aw, &g.p_w, &g.p_b, &g.p_tx, &g.p_rx};
    for (int i = 0; i < 7; i++) {
        ps[i]->s = (seed * 8 + i) * 0x9E3779B97F4A7C15ULL + 1;
        ps[i]->permille = backpressure_permille;
    }
    g.started = true;
    return 0;
}

__attribute__((visibility("default"))) void zcport_info(uint32_t* out3) {
    out3[0] = g.lanes, out3[1] = g.irq_vectors, out3[2] = g.axil_bits;
}

__attribute__((visibility("default"))) uint64_t zcport_cycle() { return g.cycle; }

__attribute__((visibility("default"))) const char* zcport_failure() { return g.failure.c_str(); }

// The events stamped before `before`, packed: per event <kind u8, pad 3, a u32, b u32, c u32,
// cycle u64, len u32, data>; size first, then the copy (which removes them).
constexpr size_t kRec = ZCNIC_PORT_RECORD_BYTES;

__attribute__((visibility("default"))) size_t zcport_drain_size(uint64_t before) {
    size_t n = 0;
    for (const Event& e : g.out) {
        if (e.cycle >= before) break;
        n += kRec + e.data.size();
    }
    return n;
}

__attribute__((visibility("default"))) size_t zcport_drain(uint64_t before, uint8_t* buf) {
    size_t off = 0, k = 0;
    for (; k < g.out.size() && g.out[k].cycle < before; k++) {
        const Event& e = g.out[k];
        const uint32_t len = uint32_t(e.data.size());
        uint8_t* r = buf + off;
        std::memset(r, 0, kRec);
        r[0] = e.kind;
        std::memcpy(r + 4, &e.a, 4);
        std::memcpy(r + 8, &e.b, 4);
        std::memcpy(r + 12, &e.c, 4);
        std::memcpy(r + 16, &e.cycle, 8);
        std::memcpy(r + 24, &len, 4);
        if (len) std::memcpy(r + kRec, e.data.data(), len);
        off += kRec + len;
    }
    g.out.erase(g.out.begin(), g.out.begin() + long(k));
    return off;
}

__attribute__((visibility("default"))) void zcport_push(uint32_t kind, uint64_t cycle, uint32_t a, uint32_t b, uint32_t c, const uint8_t* data,
                                                        size_t len) {
    g.in.push_back(HostMsg{uint8_t(kind), cycle, a, b, c, std::vector<uint8_t>(data, data + len)});
}

// What is left at FINISH: DMA bursts unanswered, RX frames not wholly taken.
__attribute__((visibility("default"))) void zcport_left(uint32_t* out2) {
    out2[0] = uint32_t(g.rd_by_tag.size() + g.wr_by_tag.size());
    out2[1] = uint32_t(g.rx_q.size());
}

}  // extern "C"

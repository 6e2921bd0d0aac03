// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "zcnic_abi.vh"

/*
 * Copy engine read side: source read bursts and the byte realigner.
 *
 * Splits [src, src+len) into INCR bursts that end at CHUNK_BYTES-aligned source addresses (so a
 * burst never exceeds CHUNK_BYTES and never crosses 4 KiB); the first burst starts at the true,
 * possibly unaligned, src. A burst is only issued when the chunk buffer has room for all of its
 * words (credits), so R is never back-pressured and several bursts may be outstanding.
 *
 * Realigner: with s = src % B, d = dst % B (B bytes per beat), destination word j is
 * {in[j+1], in[j]} >> (s-d) bytes when s > d (the first beat only primes the previous-beat
 * register), and {in[j], in[j-1]} >> (B+s-d) bytes when s <= d. One extra "flush" word is
 * emitted after the last beat when the destination needs one more word than that yields.
 * Bytes outside the copy are garbage; copy_wr masks them with WSTRB.
 */
module copy_rd #
(
    // AXI data width in bits
    parameter DATA_WIDTH = 64,
    // Largest burst in bytes, power of 2
    parameter CHUNK_BYTES = 512,
    // Chunk buffer depth in words
    parameter BUF_DEPTH = 16,
    // Width of byte lengths
    parameter LEN_WIDTH = 25,
    // Width of beat and credit counts, holds 2*CHUNK_BYTES/8 and at least 9 bits
    parameter COUNT_WIDTH = 11
)
(
    input  wire                    clk,
    input  wire                    rst,

    /*
     * Copy command (start is a one-cycle pulse; the other inputs are sampled with it)
     */
    input  wire                    start,
    input  wire [31:0]             src_addr,
    input  wire [31:0]             dst_addr,
    input  wire [LEN_WIDTH-1:0]    len,
    // abandon the copy: issue nothing more, drop data, drain outstanding bursts
    input  wire                    stop,

    /*
     * Status
     */
    output wire                    done,
    output wire                    err,
    output wire [1:0]              err_resp,
    output wire [31:0]             err_addr,

    /*
     * AXI read address and data channels (R is always accepted)
     */
    output wire [31:0]             m_axi_araddr,
    output wire [7:0]              m_axi_arlen,
    output wire                    m_axi_arvalid,
    input  wire                    m_axi_arready,
    input  wire [DATA_WIDTH-1:0]   m_axi_rdata,
    input  wire [1:0]              m_axi_rresp,
    input  wire                    m_axi_rlast,
    input  wire                    m_axi_rvalid,

    /*
     * Chunk buffer write side, and a credit back for every word popped by copy_wr
     */
    output wire [DATA_WIDTH-1:0]   buf_wr_data,
    output wire                    buf_wr_en,
    input  wire                    buf_pop
);

localparam STRB_WIDTH = DATA_WIDTH/8;
localparam LANE_BITS = $clog2(STRB_WIDTH);
localparam CHUNK_LOG2 = $clog2(CHUNK_BYTES);
localparam LANE_MASK_INT = STRB_WIDTH - 1;
localparam [COUNT_WIDTH-1:0] LANE_MASK = LANE_MASK_INT[COUNT_WIDTH-1:0];
localparam [COUNT_WIDTH-1:0] CREDITS = BUF_DEPTH[COUNT_WIDTH-1:0];

reg [31:0]             addr_reg, addr_next;
reg [LEN_WIDTH-1:0]    remain_reg, remain_next;
reg [COUNT_WIDTH-1:0]  credit_reg, credit_next;
reg [COUNT_WIDTH-1:0]  outstanding_reg, outstanding_next;

reg                    arvalid_reg, arvalid_next;
reg [31:0]             araddr_reg, araddr_next;
reg [7:0]              arlen_reg, arlen_next;

// start address of the burst whose beats are arriving on R
reg [31:0]             r_addr_reg, r_addr_next;

reg                    hold_first_reg, hold_first_next;
reg [LANE_BITS:0]      shift_reg, shift_next;
reg                    flush_needed_reg, flush_needed_next;
reg                    flush_pending_reg, flush_pending_next;
reg                    first_beat_reg, first_beat_next;
reg [DATA_WIDTH-1:0]   prev_reg, prev_next;
reg [DATA_WIDTH-1:0]   push_data_reg, push_data_next;
reg                    push_valid_reg, push_valid_next;

reg                    err_reg, err_next;
reg [1:0]              err_resp_reg, err_resp_next;
reg [31:0]             err_addr_reg, err_addr_next;

// next burst: up to the next CHUNK_BYTES boundary of the source
wire [COUNT_WIDTH-1:0] chunk_room = {{(COUNT_WIDTH-CHUNK_LOG2){1'b0}}, ~addr_reg[CHUNK_LOG2-1:0]} + 1'b1;
wire                   room_limits = remain_reg >= {{(LEN_WIDTH-COUNT_WIDTH){1'b0}}, chunk_room};
wire [COUNT_WIDTH-1:0] burst_bytes = room_limits ? chunk_room : remain_reg[COUNT_WIDTH-1:0];
wire [COUNT_WIDTH-1:0] burst_end = {{(COUNT_WIDTH-LANE_BITS){1'b0}}, addr_reg[LANE_BITS-1:0]} + burst_bytes + LANE_MASK;
wire [COUNT_WIDTH-1:0] burst_beats = burst_end >> LANE_BITS;
// beats is 1..256, so arlen is its low 8 bits minus one
wire [7:0]             burst_arlen = burst_beats[7:0] - 1'b1;

wire issue = !stop && remain_reg != {LEN_WIDTH{1'b0}} && (!arvalid_reg || m_axi_arready) &&
    credit_reg >= burst_beats;

wire r_beat = m_axi_rvalid && outstanding_reg != {COUNT_WIDTH{1'b0}};
wire r_bad = m_axi_rresp != `ZCNIC_AXI_RESP_OKAY;
wire r_last_of_copy = m_axi_rlast && outstanding_reg == 1 && remain_reg == {LEN_WIDTH{1'b0}};

// realigner byte shifter; the flush word only needs the previous beat
wire [2*DATA_WIDTH-1:0] shift_in = {r_beat ? m_axi_rdata : prev_reg, prev_reg};
wire [DATA_WIDTH-1:0]   shifted = shift_in[{shift_reg, 3'b000} +: DATA_WIDTH];

// per-copy constants, computed from the command at start
wire [LANE_BITS-1:0]   s_lane = src_addr[LANE_BITS-1:0];
wire [LANE_BITS-1:0]   d_lane = dst_addr[LANE_BITS-1:0];
wire [LEN_WIDTH:0]     src_last = {{(LEN_WIDTH+1-LANE_BITS){1'b0}}, s_lane} + {1'b0, len} - 1'b1;
wire [LEN_WIDTH:0]     dst_last = {{(LEN_WIDTH+1-LANE_BITS){1'b0}}, d_lane} + {1'b0, len} - 1'b1;
// index of the last source beat and of the last destination word, relative to the first
wire [LEN_WIDTH:0]     src_last_beat = src_last >> LANE_BITS;
wire [LEN_WIDTH:0]     dst_last_word = dst_last >> LANE_BITS;
wire                   start_hold_first = s_lane > d_lane;
// only the lane offset of the destination matters to the realigner
wire                   unused_dst = &{1'b0, dst_addr[31:LANE_BITS]};
wire                   start_flush = start_hold_first ? (dst_last_word == src_last_beat) :
    (dst_last_word != src_last_beat);

// nothing in flight on the bus or in the push/flush stage
wire idle = !arvalid_reg && outstanding_reg == {COUNT_WIDTH{1'b0}} && !flush_pending_reg &&
    !push_valid_reg;
assign done = remain_reg == {LEN_WIDTH{1'b0}} && idle;
assign err = err_reg;
assign err_resp = err_resp_reg;
assign err_addr = err_addr_reg;

assign m_axi_araddr = araddr_reg;
assign m_axi_arlen = arlen_reg;
assign m_axi_arvalid = arvalid_reg;

assign buf_wr_data = push_data_reg;
assign buf_wr_en = push_valid_reg;

always @* begin
    addr_next = addr_reg;
    remain_next = remain_reg;
    credit_next = credit_reg;
    outstanding_next = outstanding_reg;
    arvalid_next = arvalid_reg && !m_axi_arready;
    araddr_next = araddr_reg;
    arlen_next = arlen_reg;
    r_addr_next = r_addr_reg;
    hold_first_next = hold_first_reg;
    shift_next = shift_reg;
    flush_needed_next = flush_needed_reg;
    flush_pending_next = flush_pending_reg;
    first_beat_next = first_beat_reg;
    prev_next = prev_reg;
    push_data_next = shifted;
    push_valid_next = 1'b0;
    err_next = err_reg;
    err_resp_next = err_resp_reg;
    err_addr_next = err_addr_reg;

    // issue the next source burst
    if (issue) begin
        araddr_next = addr_reg;
        arlen_next = burst_arlen;
        arvalid_next = 1'b1;
        addr_next = addr_reg + {{(32-COUNT_WIDTH){1'b0}}, burst_bytes};
        remain_next = remain_reg - {{(LEN_WIDTH-COUNT_WIDTH){1'b0}}, burst_bytes};
    end

    // stop abandons the rest of the copy for good; done then only waits for the bus to drain
    if (stop) begin
        remain_next = {LEN_WIDTH{1'b0}};
    end

    credit_next = credit_reg - (issue ? burst_beats : {COUNT_WIDTH{1'b0}}) + {{(COUNT_WIDTH-1){1'b0}}, buf_pop};

    // outstanding counts issued bursts until their last beat
    case ({issue, r_beat && m_axi_rlast})
        2'b10: outstanding_next = outstanding_reg + 1'b1;
        2'b01: outstanding_next = outstanding_reg - 1'b1;
        default: outstanding_next = outstanding_reg;
    endcase

    if (r_beat) begin
        if (m_axi_rlast) begin
            // every burst after the first starts on a chunk boundary
            r_addr_next = {r_addr_reg[31:CHUNK_LOG2] + 1'b1, {CHUNK_LOG2{1'b0}}};
        end
        if (r_bad && !err_reg) begin
            err_next = 1'b1;
            err_resp_next = m_axi_rresp;
            err_addr_next = r_addr_reg;
        end
        if (!stop && !r_bad) begin
            prev_next = m_axi_rdata;
            first_beat_next = 1'b0;
            push_valid_next = !(hold_first_reg && first_beat_reg);
            if (r_last_of_copy && flush_needed_reg) begin
                flush_pending_next = 1'b1;
            end
        end
    end else if (flush_pending_reg) begin
        push_valid_next = 1'b1;
        flush_pending_next = 1'b0;
    end

    if (start) begin
        addr_next = src_addr;
        remain_next = len;
        credit_next = CREDITS - {{(COUNT_WIDTH-1){1'b0}}, start_flush && !start_hold_first};
        r_addr_next = src_addr;
        hold_first_next = start_hold_first;
        shift_next = start_hold_first ? {1'b0, s_lane - d_lane} :
            {1'b1, {LANE_BITS{1'b0}}} - {1'b0, d_lane} + {1'b0, s_lane};
        flush_needed_next = start_flush;
        flush_pending_next = 1'b0;
        first_beat_next = 1'b1;
        err_next = 1'b0;
        err_resp_next = `ZCNIC_AXI_RESP_OKAY;
        err_addr_next = 32'd0;
    end
end

always @(posedge clk) begin
    addr_reg <= addr_next;
    remain_reg <= remain_next;
    credit_reg <= credit_next;
    outstanding_reg <= outstanding_next;
    arvalid_reg <= arvalid_next;
    araddr_reg <= araddr_next;
    arlen_reg <= arlen_next;
    r_addr_reg <= r_addr_next;
    hold_first_reg <= hold_first_next;
    shift_reg <= shift_next;
    flush_needed_reg <= flush_needed_next;
    flush_pending_reg <= flush_pending_next;
    first_beat_reg <= first_beat_next;
    prev_reg <= prev_next;
    push_data_reg <= push_data_next;
    push_valid_reg <= push_valid_next;
    err_reg <= err_next;
    err_resp_reg <= err_resp_next;
    err_addr_reg <= err_addr_next;

    if (rst) begin
        remain_reg <= {LEN_WIDTH{1'b0}};
        credit_reg <= {COUNT_WIDTH{1'b0}};
        outstanding_reg <= {COUNT_WIDTH{1'b0}};
        arvalid_reg <= 1'b0;
        flush_pending_reg <= 1'b0;
        push_valid_reg <= 1'b0;
        err_reg <= 1'b0;
    end
end

endmodule

`resetall

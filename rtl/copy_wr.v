// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "zcnic_abi.vh"

/*
 * Copy engine write side: destination write bursts fed from the chunk buffer.
 *
 * Splits [dst, dst+len) into INCR bursts that end at CHUNK_BYTES-aligned destination addresses;
 * the first burst starts at the true, possibly unaligned, dst. A burst is only issued once the
 * buffer holds all of its words, so W never stalls mid-burst on our side. WSTRB masks the lanes
 * before dst in the first word and after dst+len-1 in the last word: no byte outside
 * [dst, dst+len) is ever strobed. B responses are counted; the first non-OKAY one is latched
 * with the start address of its burst.
 */
module copy_wr #
(
    // AXI data width in bits
    parameter DATA_WIDTH = 64,
    // Largest burst in bytes, power of 2
    parameter CHUNK_BYTES = 512,
    // Width of byte lengths
    parameter LEN_WIDTH = 25,
    // Width of beat counts, at least 9 bits
    parameter COUNT_WIDTH = 11,
    // Write bursts that may wait for their B response
    parameter MAX_OUTSTANDING = 15
)
(
    input  wire                      clk,
    input  wire                      rst,

    /*
     * Copy command (start is a one-cycle pulse; the other inputs are sampled with it)
     */
    input  wire                      start,
    input  wire [31:0]               dst_addr,
    input  wire [LEN_WIDTH-1:0]      len,
    // abandon the copy: issue nothing more; bursts already issued complete
    input  wire                      stop,

    /*
     * Status
     */
    output wire                      done,
    output wire                      err,
    output wire [1:0]                err_resp,
    output wire [31:0]               err_addr,

    /*
     * AXI write address, data and response channels (B is always accepted)
     */
    output wire [31:0]               m_axi_awaddr,
    output wire [7:0]                m_axi_awlen,
    output wire                      m_axi_awvalid,
    input  wire                      m_axi_awready,
    output wire [DATA_WIDTH-1:0]     m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0]   m_axi_wstrb,
    output wire                      m_axi_wlast,
    output wire                      m_axi_wvalid,
    input  wire                      m_axi_wready,
    input  wire [1:0]                m_axi_bresp,
    input  wire                      m_axi_bvalid,

    /*
     * Chunk buffer read side
     */
    input  wire [DATA_WIDTH-1:0]     buf_rd_data,
    input  wire                      buf_rd_valid,
    output wire                      buf_rd_ready,
    input  wire [COUNT_WIDTH-1:0]    buf_count
);

localparam STRB_WIDTH = DATA_WIDTH/8;
localparam LANE_BITS = $clog2(STRB_WIDTH);
localparam CHUNK_LOG2 = $clog2(CHUNK_BYTES);
localparam OUT_WIDTH = $clog2(MAX_OUTSTANDING + 1);
localparam LANE_MASK_INT = STRB_WIDTH - 1;
localparam [COUNT_WIDTH-1:0] LANE_MASK = LANE_MASK_INT[COUNT_WIDTH-1:0];
localparam [OUT_WIDTH-1:0] OUT_LIMIT = MAX_OUTSTANDING[OUT_WIDTH-1:0];
localparam [STRB_WIDTH-1:0] STRB_ALL = {STRB_WIDTH{1'b1}};

reg [31:0]             addr_reg, addr_next;
reg [LEN_WIDTH-1:0]    remain_reg, remain_next;

reg                    awvalid_reg, awvalid_next;
reg [31:0]             awaddr_reg, awaddr_next;
reg [7:0]              awlen_reg, awlen_next;

// W beats left in the current burst (0: no burst active)
reg [COUNT_WIDTH-1:0]  w_beats_reg, w_beats_next;
// words left in the whole copy, to find the last one
reg [LEN_WIDTH-1:0]    words_left_reg, words_left_next;
reg                    first_word_reg, first_word_next;
reg [STRB_WIDTH-1:0]   first_strb_reg, first_strb_next;
reg [STRB_WIDTH-1:0]   last_strb_reg, last_strb_next;

reg [OUT_WIDTH-1:0]    b_outstanding_reg, b_outstanding_next;
// start address of the burst whose B response comes next
reg [31:0]             b_addr_reg, b_addr_next;

reg                    err_reg, err_next;
reg [1:0]              err_resp_reg, err_resp_next;
reg [31:0]             err_addr_reg, err_addr_next;

// next burst: up to the next CHUNK_BYTES boundary of the destination
wire [COUNT_WIDTH-1:0] chunk_room = {{(COUNT_WIDTH-CHUNK_LOG2){1'b0}}, ~addr_reg[CHUNK_LOG2-1:0]} + 1'b1;
wire                   room_limits = remain_reg >= {{(LEN_WIDTH-COUNT_WIDTH){1'b0}}, chunk_room};
wire [COUNT_WIDTH-1:0] burst_bytes = room_limits ? chunk_room : remain_reg[COUNT_WIDTH-1:0];
wire [COUNT_WIDTH-1:0] burst_end = {{(COUNT_WIDTH-LANE_BITS){1'b0}}, addr_reg[LANE_BITS-1:0]} + burst_bytes + LANE_MASK;
wire [COUNT_WIDTH-1:0] burst_beats = burst_end >> LANE_BITS;
// beats is 1..256, so awlen is its low 8 bits minus one
wire [7:0]             burst_awlen = burst_beats[7:0] - 1'b1;

wire w_active = w_beats_reg != {COUNT_WIDTH{1'b0}};
wire w_beat = w_active && buf_rd_valid && m_axi_wready;
// the next burst may start in the cycle the last beat of the current one goes out; it needs all
// of its words in the buffer, not counting the one leaving now
wire w_free = !w_active || (w_beats_reg == 1 && w_beat);
wire [COUNT_WIDTH-1:0] buf_avail = buf_count - {{(COUNT_WIDTH-1){1'b0}}, w_beat};

wire issue = !stop && remain_reg != {LEN_WIDTH{1'b0}} && w_free &&
    (!awvalid_reg || m_axi_awready) && buf_avail >= burst_beats && b_outstanding_reg != OUT_LIMIT;
wire b_beat = m_axi_bvalid && b_outstanding_reg != {OUT_WIDTH{1'b0}};

// per-copy constants, computed from the command at start
wire [LANE_BITS-1:0]   d_lane = dst_addr[LANE_BITS-1:0];
wire [LEN_WIDTH:0]     dst_last = {{(LEN_WIDTH+1-LANE_BITS){1'b0}}, d_lane} + {1'b0, len} - 1'b1;
wire [LEN_WIDTH-1:0]   dst_words = {{(LANE_BITS-1){1'b0}}, dst_last[LEN_WIDTH:LANE_BITS]} + 1'b1;
wire [LANE_BITS-1:0]   end_lane = dst_last[LANE_BITS-1:0];

// no burst in flight
wire idle = !awvalid_reg && !w_active && b_outstanding_reg == {OUT_WIDTH{1'b0}};
assign done = remain_reg == {LEN_WIDTH{1'b0}} && idle;
assign err = err_reg;
assign err_resp = err_resp_reg;
assign err_addr = err_addr_reg;

assign m_axi_awaddr = awaddr_reg;
assign m_axi_awlen = awlen_reg;
assign m_axi_awvalid = awvalid_reg;
assign m_axi_wdata = buf_rd_data;
assign m_axi_wstrb = (first_word_reg ? first_strb_reg : STRB_ALL) &
    (words_left_reg == 1 ? last_strb_reg : STRB_ALL);
assign m_axi_wlast = w_beats_reg == 1;
assign m_axi_wvalid = w_active && buf_rd_valid;

assign buf_rd_ready = w_active && m_axi_wready;

always @* begin
    addr_next = addr_reg;
    remain_next = remain_reg;
    awvalid_next = awvalid_reg && !m_axi_awready;
    awaddr_next = awaddr_reg;
    awlen_next = awlen_reg;
    w_beats_next = w_beats_reg;
    words_left_next = words_left_reg;
    first_word_next = first_word_reg;
    first_strb_next = first_strb_reg;
    last_strb_next = last_strb_reg;
    b_outstanding_next = b_outstanding_reg;
    b_addr_next = b_addr_reg;
    err_next = err_reg;
    err_resp_next = err_resp_reg;
    err_addr_next = err_addr_reg;

    if (w_beat) begin
        w_beats_next = w_beats_reg - 1'b1;
        words_left_next = words_left_reg - 1'b1;
        first_word_next = 1'b0;
    end

    // issue the next destination burst; its W beats may start before AW is accepted
    if (issue) begin
        awaddr_next = addr_reg;
        awlen_next = burst_awlen;
        awvalid_next = 1'b1;
        w_beats_next = burst_beats;
        addr_next = addr_reg + {{(32-COUNT_WIDTH){1'b0}}, burst_bytes};
        remain_next = remain_reg - {{(LEN_WIDTH-COUNT_WIDTH){1'b0}}, burst_bytes};
    end

    // stop abandons the rest of the copy for good; bursts already issued complete
    if (stop) begin
        remain_next = {LEN_WIDTH{1'b0}};
    end

    case ({issue, b_beat})
        2'b10: b_outstanding_next = b_outstanding_reg + 1'b1;
        2'b01: b_outstanding_next = b_outstanding_reg - 1'b1;
        default: b_outstanding_next = b_outstanding_reg;
    endcase

    if (b_beat) begin
        // every burst after the first starts on a chunk boundary
        b_addr_next = {b_addr_reg[31:CHUNK_LOG2] + 1'b1, {CHUNK_LOG2{1'b0}}};
        if (m_axi_bresp != `ZCNIC_AXI_RESP_OKAY && !err_reg) begin
            err_next = 1'b1;
            err_resp_next = m_axi_bresp;
            err_addr_next = b_addr_reg;
        end
    end

    if (start) begin
        addr_next = dst_addr;
        remain_next = len;
        words_left_next = dst_words;
        first_word_next = 1'b1;
        first_strb_next = STRB_ALL << d_lane;
        last_strb_next = STRB_ALL >> ~end_lane;
        b_addr_next = dst_addr;
        err_next = 1'b0;
        err_resp_next = `ZCNIC_AXI_RESP_OKAY;
        err_addr_next = 32'd0;
    end
end

always @(posedge clk) begin
    addr_reg <= addr_next;
    remain_reg <= remain_next;
    awvalid_reg <= awvalid_next;
    awaddr_reg <= awaddr_next;
    awlen_reg <= awlen_next;
    w_beats_reg <= w_beats_next;
    words_left_reg <= words_left_next;
    first_word_reg <= first_word_next;
    first_strb_reg <= first_strb_next;
    last_strb_reg <= last_strb_next;
    b_outstanding_reg <= b_outstanding_next;
    b_addr_reg <= b_addr_next;
    err_reg <= err_next;
    err_resp_reg <= err_resp_next;
    err_addr_reg <= err_addr_next;

    if (rst) begin
        remain_reg <= {LEN_WIDTH{1'b0}};
        awvalid_reg <= 1'b0;
        w_beats_reg <= {COUNT_WIDTH{1'b0}};
        b_outstanding_reg <= {OUT_WIDTH{1'b0}};
        err_reg <= 1'b0;
    end
end

endmodule

`resetall

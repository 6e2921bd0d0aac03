// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Descriptor-driven AXI4 write DMA: AXI-Stream -> memory.
 *
 * A descriptor {addr, len, tag} writes the next ceil(len/B) stream beats (B bytes per beat, the
 * payload in lane 0 upwards) to [addr, addr+len). tkeep and tlast of the stream are not
 * interpreted: the descriptor's len alone frames the data, so the source must send exactly
 * ceil(len/B) beats per descriptor.
 *
 * The realigner shifts the stream to the lane offset of addr into the write buffer. The issue
 * stage splits the range into INCR bursts that end at CHUNK_BYTES-aligned addresses (at most
 * CHUNK_BYTES, never across 4 KiB; only the first starts unaligned) and issues a burst only once
 * the buffer holds all of its words, so W never stalls mid-burst on our side. WSTRB covers only
 * [addr, addr+len). All writes use ID 0, so B responses return in order; each descriptor yields
 * one status record {tag, error, resp, err_addr} after its last B response, with err_addr the
 * start address of the first burst answered with a non-OKAY BRESP.
 *
 * stop (level) abandons everything: no descriptor is accepted, no new burst is issued, queued
 * descriptors and buffered words are dropped, the stream is not accepted, W bursts already issued
 * are completed (their words are in the buffer) and their B responses collected, and no status
 * record is produced (one already presented is withdrawn). busy stays high until nothing is left
 * in flight; hold stop until then. err/err_resp/err_addr show the first non-OKAY BRESP since the
 * last descriptor was accepted, ahead of the status record (for a single-descriptor user such as
 * copy_engine); stop clears them.
 *
 * len must be 1..2^24 and addr+len <= 2^32 (the caller validates).
 */
module dma_wr #
(
    // AXI data width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64,
    // AXI ID width (all writes use ID 0)
    parameter ID_WIDTH = 4,
    // Largest burst in bytes (power of 2, >= 2*DATA_WIDTH/8, <= 4096 and <= 256 beats)
    parameter CHUNK_BYTES = 512,
    // Width of the descriptor length (bytes)
    parameter LEN_WIDTH = 25,
    // Width of the descriptor tag
    parameter TAG_WIDTH = 8,
    // Descriptors accepted ahead of the realigner (power of 2)
    parameter DESC_FIFO_DEPTH = 4,
    // Write bursts that may wait for their B response (power of 2)
    parameter MAX_OUTSTANDING = 16
)
(
    input  wire                       clk,
    input  wire                       rst,

    /*
     * Control and early error
     */
    input  wire                       stop,
    output wire                       busy,
    output wire                       err,
    output wire [1:0]                 err_resp,
    output wire [31:0]                err_addr,

    /*
     * Write descriptor input
     */
    input  wire [31:0]                s_desc_addr,
    input  wire [LEN_WIDTH-1:0]       s_desc_len,
    input  wire [TAG_WIDTH-1:0]       s_desc_tag,
    input  wire                       s_desc_valid,
    output wire                       s_desc_ready,

    /*
     * Status output (one per descriptor, in order)
     */
    output wire [TAG_WIDTH-1:0]       m_sts_tag,
    output wire                       m_sts_error,
    output wire [1:0]                 m_sts_resp,
    output wire [31:0]                m_sts_err_addr,
    output wire                       m_sts_valid,
    input  wire                       m_sts_ready,

    /*
     * AXI-Stream input (lane 0 aligned; tkeep and tlast are not interpreted)
     */
    input  wire [DATA_WIDTH-1:0]      s_axis_tdata,
    input  wire [DATA_WIDTH/8-1:0]    s_axis_tkeep,
    input  wire                       s_axis_tlast,
    input  wire                       s_axis_tvalid,
    output wire                       s_axis_tready,

    /*
     * AXI4 master write address, data and response channels
     */
    output wire [ID_WIDTH-1:0]        m_axi_awid,
    output wire [31:0]                m_axi_awaddr,
    output wire [7:0]                 m_axi_awlen,
    output wire [2:0]                 m_axi_awsize,
    output wire [1:0]                 m_axi_awburst,
    output wire                       m_axi_awlock,
    output wire [3:0]                 m_axi_awcache,
    output wire [2:0]                 m_axi_awprot,
    output wire                       m_axi_awvalid,
    input  wire                       m_axi_awready,
    output wire [DATA_WIDTH-1:0]      m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0]    m_axi_wstrb,
    output wire                       m_axi_wlast,
    output wire                       m_axi_wvalid,
    input  wire                       m_axi_wready,
    input  wire [ID_WIDTH-1:0]        m_axi_bid,
    input  wire [1:0]                 m_axi_bresp,
    input  wire                       m_axi_bvalid,
    output wire                       m_axi_bready
);

localparam STRB_WIDTH = DATA_WIDTH/8;
localparam LANE_BITS = $clog2(STRB_WIDTH);
localparam CHUNK_LOG2 = $clog2(CHUNK_BYTES);
// two chunks, so the stream can fill one burst while the previous one is written, and at least
// 32 words
localparam BUF_MIN_WORDS = 32;
localparam BUF_DEPTH = (2*CHUNK_BYTES/STRB_WIDTH > BUF_MIN_WORDS) ? 2*CHUNK_BYTES/STRB_WIDTH : BUF_MIN_WORDS;
localparam BUF_LOG2 = $clog2(BUF_DEPTH);
// beat counts; at least 9 bits so that awlen can be sliced out
localparam COUNT_WIDTH = (CHUNK_LOG2 + 2 > 9) ? CHUNK_LOG2 + 2 : 9;
localparam [STRB_WIDTH-1:0] STRB_ALL = {STRB_WIDTH{1'b1}};
localparam RINFO_WIDTH = LANE_BITS + LEN_WIDTH;
localparam BINFO_WIDTH = 1 + TAG_WIDTH + 32;
localparam [1:0] RESP_OKAY = 2'b00;

// parameters are checked by dma_burst, which both DMA engines instantiate

// stream lanes and framing are defined by the descriptor alone
wire unused_axis = &{1'b0, s_axis_tkeep, s_axis_tlast, m_axi_bid};

/*
 * Issue stage
 */
wire                   iss_active;
wire [31:0]            iss_addr;
reg [TAG_WIDTH-1:0]    iss_tag_reg, iss_tag_next;

reg                    awvalid_reg, awvalid_next;
reg [31:0]             awaddr_reg, awaddr_next;
reg [7:0]              awlen_reg, awlen_next;

// W beats left in the current burst (0: no burst active) and its edge strobes
reg [COUNT_WIDTH-1:0]  w_beats_reg, w_beats_next;
reg                    w_first_reg, w_first_next;
reg [STRB_WIDTH-1:0]   w_first_strb_reg, w_first_strb_next;
reg [STRB_WIDTH-1:0]   w_last_strb_reg, w_last_strb_next;

wire                   rinfo_s_ready;
wire                   binfo_s_ready;
wire                   desc_accept = s_desc_valid && s_desc_ready;
wire                   issue;
wire                   b_beat;

wire [DATA_WIDTH-1:0]  buf_m_data;
wire                   buf_m_valid;
wire [BUF_LOG2:0]      buf_count;

// the transfer being issued and its next burst (up to the next CHUNK_BYTES boundary)
wire [COUNT_WIDTH-1:0] burst_bytes;
wire [COUNT_WIDTH-1:0] burst_beats;
wire [7:0]             burst_awlen;
wire                   burst_is_last;

dma_burst #(
    .DATA_WIDTH(DATA_WIDTH),
    .CHUNK_BYTES(CHUNK_BYTES),
    .LEN_WIDTH(LEN_WIDTH),
    .COUNT_WIDTH(COUNT_WIDTH)
)
burst_inst (
    .clk(clk),
    .rst(rst),
    .load(desc_accept),
    .load_addr(s_desc_addr),
    .load_len(s_desc_len),
    .advance(issue),
    .stop(stop),
    .active(iss_active),
    .addr(iss_addr),
    .bytes(burst_bytes),
    .beats(burst_beats),
    .axlen(burst_awlen),
    .last(burst_is_last)
);
// lane of the burst's last byte (only the first and last bursts of a descriptor are partial)
wire [LANE_BITS-1:0]   burst_end_lane = iss_addr[LANE_BITS-1:0] + burst_bytes[LANE_BITS-1:0] - 1'b1;

wire w_active = w_beats_reg != {COUNT_WIDTH{1'b0}};
wire w_beat = w_active && buf_m_valid && m_axi_wready;
// the next burst may start in the cycle the last beat of the current one goes out; it needs all
// of its words in the buffer, not counting the one leaving now
wire w_free = !w_active || (w_beats_reg == 1 && w_beat);
wire [COUNT_WIDTH-1:0] buf_avail = {{(COUNT_WIDTH-BUF_LOG2-1){1'b0}}, buf_count} -
    {{(COUNT_WIDTH-1){1'b0}}, w_beat};

// only the low (lane) bits of the burst's byte count matter here
wire unused_burst_bytes = &{1'b0, burst_bytes[COUNT_WIDTH-1:LANE_BITS]};

assign issue = !stop && iss_active && w_free && (!awvalid_reg || m_axi_awready) && buf_avail >= burst_beats &&
    binfo_s_ready;

assign s_desc_ready = !stop && !iss_active && rinfo_s_ready;

assign m_axi_awid = {ID_WIDTH{1'b0}};
assign m_axi_awaddr = awaddr_reg;
assign m_axi_awlen = awlen_reg;
assign m_axi_awsize = LANE_BITS[2:0];
assign m_axi_awburst = 2'b01; // INCR
assign m_axi_awlock = 1'b0;
assign m_axi_awcache = 4'b0011;
assign m_axi_awprot = 3'b010;
assign m_axi_awvalid = awvalid_reg;
assign m_axi_wdata = buf_m_data;
assign m_axi_wstrb = (w_first_reg ? w_first_strb_reg : STRB_ALL) &
    (w_beats_reg == 1 ? w_last_strb_reg : STRB_ALL);
assign m_axi_wlast = w_beats_reg == 1;
assign m_axi_wvalid = w_active && buf_m_valid;

always @* begin
    iss_tag_next = iss_tag_reg;
    awvalid_next = awvalid_reg && !m_axi_awready;
    awaddr_next = awaddr_reg;
    awlen_next = awlen_reg;
    w_beats_next = w_beats_reg;
    w_first_next = w_first_reg;
    w_first_strb_next = w_first_strb_reg;
    w_last_strb_next = w_last_strb_reg;

    if (w_beat) begin
        w_beats_next = w_beats_reg - 1'b1;
        w_first_next = 1'b0;
    end

    // issue the next burst; its W beats may start before AW is accepted
    if (issue) begin
        awaddr_next = iss_addr;
        awlen_next = burst_awlen;
        awvalid_next = 1'b1;
        w_beats_next = burst_beats;
        w_first_next = 1'b1;
        w_first_strb_next = STRB_ALL << iss_addr[LANE_BITS-1:0];
        w_last_strb_next = STRB_ALL >> ~burst_end_lane;
    end

    if (desc_accept) begin
        iss_tag_next = s_desc_tag;
    end
end

always @(posedge clk) begin
    iss_tag_reg <= iss_tag_next;
    awvalid_reg <= awvalid_next;
    awaddr_reg <= awaddr_next;
    awlen_reg <= awlen_next;
    w_beats_reg <= w_beats_next;
    w_first_reg <= w_first_next;
    w_first_strb_reg <= w_first_strb_next;
    w_last_strb_reg <= w_last_strb_next;

    if (rst) begin
        awvalid_reg <= 1'b0;
        w_beats_reg <= {COUNT_WIDTH{1'b0}};
    end
end

/*
 * Realigner: stream words (payload from lane 0) -> buffer words at the lane offset of addr
 *
 * With d = addr % B, buffer word j is {in[j], in[j-1]} >> (B-d) bytes (in[j] when d = 0); lanes
 * below d of word 0 are garbage and masked by WSTRB. When the payload spills past the last input
 * word, one "flush" word follows it.
 */
wire [RINFO_WIDTH-1:0] rinfo_m_data;
wire                   rinfo_m_valid;
wire                   rinfo_pop;
wire [$clog2(DESC_FIFO_DEPTH):0] rinfo_count;

dma_fifo #(
    .WIDTH(RINFO_WIDTH),
    .DEPTH(DESC_FIFO_DEPTH)
)
rinfo_inst (
    .clk(clk),
    .rst(rst),
    .s_data({s_desc_len, s_desc_addr[LANE_BITS-1:0]}),
    .s_valid(desc_accept),
    .s_ready(rinfo_s_ready),
    .m_data(rinfo_m_data),
    .m_valid(rinfo_m_valid),
    .m_ready(rinfo_pop),
    .count(rinfo_count)
);

wire [LANE_BITS-1:0]   r_i_lane = rinfo_m_data[LANE_BITS-1:0];
wire [LEN_WIDTH-1:0]   r_i_len = rinfo_m_data[LANE_BITS +: LEN_WIDTH];
wire [LEN_WIDTH-1:0]   r_i_len_m1 = r_i_len - 1'b1;
wire [LEN_WIDTH:0]     r_i_last_off = {{(LEN_WIDTH+1-LANE_BITS){1'b0}}, r_i_lane} + {1'b0, r_i_len_m1};
wire                   unused_last_off = &{1'b0, r_i_last_off[LANE_BITS-1:0]};
wire [LEN_WIDTH-1:0]   r_i_in_words = {{LANE_BITS{1'b0}}, r_i_len_m1[LEN_WIDTH-1:LANE_BITS]} + 1'b1;
wire [LEN_WIDTH-1:0]   r_i_dst_words = {{(LANE_BITS-1){1'b0}}, r_i_last_off[LEN_WIDTH:LANE_BITS]} + 1'b1;

reg                    r_active_reg, r_active_next;
reg [LANE_BITS:0]      r_shift_reg, r_shift_next;
reg [LEN_WIDTH-1:0]    r_in_left_reg, r_in_left_next;
reg                    r_flush_needed_reg, r_flush_needed_next;
reg                    r_flush_pending_reg, r_flush_pending_next;
reg [DATA_WIDTH-1:0]   r_prev_reg, r_prev_next;
reg                    r_finish;
reg                    r_load;

wire                   buf_s_ready;
wire                   r_beat = s_axis_tvalid && s_axis_tready;
wire                   r_flush = !stop && r_active_reg && r_flush_pending_reg && buf_s_ready;
wire [2*DATA_WIDTH-1:0] r_shift_in = {r_beat ? s_axis_tdata : r_prev_reg, r_prev_reg};
wire [DATA_WIDTH-1:0]  r_shifted = r_shift_in[{r_shift_reg, 3'b000} +: DATA_WIDTH];

assign s_axis_tready = !stop && r_active_reg && !r_flush_pending_reg && buf_s_ready;
assign rinfo_pop = r_load || (stop && rinfo_m_valid);

always @* begin
    r_active_next = r_active_reg;
    r_shift_next = r_shift_reg;
    r_in_left_next = r_in_left_reg;
    r_flush_needed_next = r_flush_needed_reg;
    r_flush_pending_next = r_flush_pending_reg;
    r_prev_next = r_prev_reg;
    r_finish = 1'b0;

    if (r_beat) begin
        r_prev_next = s_axis_tdata;
        r_in_left_next = r_in_left_reg - 1'b1;
        if (r_in_left_reg == 1) begin
            if (r_flush_needed_reg) begin
                r_flush_pending_next = 1'b1;
            end else begin
                r_finish = 1'b1;
            end
        end
    end

    if (r_flush) begin
        r_flush_pending_next = 1'b0;
        r_finish = 1'b1;
    end

    if (r_finish) begin
        r_active_next = 1'b0;
    end

    // the next descriptor may start in the cycle the current one finishes
    r_load = !stop && (!r_active_reg || r_finish) && rinfo_m_valid;
    if (r_load) begin
        r_active_next = 1'b1;
        r_shift_next = {1'b1, {LANE_BITS{1'b0}}} - {1'b0, r_i_lane};
        r_in_left_next = r_i_in_words;
        r_flush_needed_next = r_i_dst_words != r_i_in_words;
        r_flush_pending_next = 1'b0;
    end

    if (stop) begin
        r_active_next = 1'b0;
        r_flush_pending_next = 1'b0;
    end
end

always @(posedge clk) begin
    r_active_reg <= r_active_next;
    r_shift_reg <= r_shift_next;
    r_in_left_reg <= r_in_left_next;
    r_flush_needed_reg <= r_flush_needed_next;
    r_flush_pending_reg <= r_flush_pending_next;
    r_prev_reg <= r_prev_next;

    if (rst) begin
        r_active_reg <= 1'b0;
        r_flush_pending_reg <= 1'b0;
    end
end

dma_fifo #(
    .WIDTH(DATA_WIDTH),
    .DEPTH(BUF_DEPTH)
)
buf_inst (
    .clk(clk),
    .rst(rst),
    .s_data(r_shifted),
    .s_valid(r_beat || r_flush),
    .s_ready(buf_s_ready),
    .m_data(buf_m_data),
    .m_valid(buf_m_valid),
    // while stopping, words not needed by an issued W burst are dropped
    .m_ready(w_beat || (stop && !w_active && buf_m_valid)),
    .count(buf_count)
);

/*
 * B responses: one entry per issued burst, in order
 */
wire [BINFO_WIDTH-1:0] binfo_m_data;
wire                   binfo_m_valid;
wire [$clog2(MAX_OUTSTANDING):0] binfo_count;

dma_fifo #(
    .WIDTH(BINFO_WIDTH),
    .DEPTH(MAX_OUTSTANDING)
)
binfo_inst (
    .clk(clk),
    .rst(rst),
    .s_data({burst_is_last, iss_tag_reg, iss_addr}),
    .s_valid(issue),
    .s_ready(binfo_s_ready),
    .m_data(binfo_m_data),
    .m_valid(binfo_m_valid),
    .m_ready(b_beat),
    .count(binfo_count)
);

wire [31:0]            b_i_addr = binfo_m_data[31:0];
wire [TAG_WIDTH-1:0]   b_i_tag = binfo_m_data[32 +: TAG_WIDTH];
wire                   b_i_last = binfo_m_data[BINFO_WIDTH-1];

reg                    b_err_reg, b_err_next;
reg [1:0]              b_err_resp_reg, b_err_resp_next;
reg [31:0]             b_err_addr_reg, b_err_addr_next;

reg                    e_err_reg, e_err_next;
reg [1:0]              e_err_resp_reg, e_err_resp_next;
reg [31:0]             e_err_addr_reg, e_err_addr_next;

reg [TAG_WIDTH-1:0]    sts_tag_reg, sts_tag_next;
reg                    sts_error_reg, sts_error_next;
reg [1:0]              sts_resp_reg, sts_resp_next;
reg [31:0]             sts_addr_reg, sts_addr_next;
reg                    sts_valid_reg, sts_valid_next;

wire sts_free = !sts_valid_reg || m_sts_ready;
// any B may be the last of its descriptor, so each one waits for the status slot
assign b_beat = m_axi_bvalid && binfo_m_valid && sts_free;
assign m_axi_bready = binfo_m_valid && sts_free;

assign busy = iss_active || awvalid_reg || w_active || binfo_count != 0 || rinfo_count != 0 ||
    r_active_reg || buf_count != 0 || sts_valid_reg;
assign err = e_err_reg;
assign err_resp = e_err_resp_reg;
assign err_addr = e_err_addr_reg;

assign m_sts_tag = sts_tag_reg;
assign m_sts_error = sts_error_reg;
assign m_sts_resp = sts_resp_reg;
assign m_sts_err_addr = sts_addr_reg;
assign m_sts_valid = sts_valid_reg;

always @* begin
    b_err_next = b_err_reg;
    b_err_resp_next = b_err_resp_reg;
    b_err_addr_next = b_err_addr_reg;
    sts_tag_next = sts_tag_reg;
    sts_error_next = sts_error_reg;
    sts_resp_next = sts_resp_reg;
    sts_addr_next = sts_addr_reg;
    sts_valid_next = sts_valid_reg && !m_sts_ready;
    e_err_next = e_err_reg;
    e_err_resp_next = e_err_resp_reg;
    e_err_addr_next = e_err_addr_reg;

    if (desc_accept) begin
        e_err_next = 1'b0;
        e_err_resp_next = RESP_OKAY;
        e_err_addr_next = 32'd0;
    end

    if (b_beat) begin
        if (m_axi_bresp != RESP_OKAY && !e_err_next) begin
            e_err_next = 1'b1;
            e_err_resp_next = m_axi_bresp;
            e_err_addr_next = b_i_addr;
        end
        if (m_axi_bresp != RESP_OKAY && !b_err_reg) begin
            b_err_next = 1'b1;
            b_err_resp_next = m_axi_bresp;
            b_err_addr_next = b_i_addr;
        end
        if (b_i_last) begin
            sts_tag_next = b_i_tag;
            sts_error_next = b_err_next;
            sts_resp_next = b_err_resp_next;
            sts_addr_next = b_err_addr_next;
            sts_valid_next = 1'b1;
            b_err_next = 1'b0;
            b_err_resp_next = RESP_OKAY;
            b_err_addr_next = 32'd0;
        end
    end

    if (stop) begin
        b_err_next = 1'b0;
        b_err_resp_next = RESP_OKAY;
        b_err_addr_next = 32'd0;
        e_err_next = 1'b0;
        e_err_resp_next = RESP_OKAY;
        e_err_addr_next = 32'd0;
        sts_valid_next = 1'b0;
    end
end

always @(posedge clk) begin
    b_err_reg <= b_err_next;
    b_err_resp_reg <= b_err_resp_next;
    b_err_addr_reg <= b_err_addr_next;
    sts_tag_reg <= sts_tag_next;
    sts_error_reg <= sts_error_next;
    sts_resp_reg <= sts_resp_next;
    sts_addr_reg <= sts_addr_next;
    sts_valid_reg <= sts_valid_next;
    e_err_reg <= e_err_next;
    e_err_resp_reg <= e_err_resp_next;
    e_err_addr_reg <= e_err_addr_next;

    if (rst) begin
        e_err_reg <= 1'b0;
        e_err_resp_reg <= RESP_OKAY;
        e_err_addr_reg <= 32'd0;
        b_err_reg <= 1'b0;
        b_err_resp_reg <= RESP_OKAY;
        b_err_addr_reg <= 32'd0;
        sts_valid_reg <= 1'b0;
    end
end

endmodule

`resetall

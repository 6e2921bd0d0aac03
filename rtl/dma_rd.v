// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Descriptor-driven AXI4 read DMA: memory -> AXI-Stream.
 *
 * A descriptor {addr, len, tag} asks for the bytes [addr, addr+len). The issue stage splits the
 * range into INCR bursts that end at CHUNK_BYTES-aligned addresses (so a burst is at most
 * CHUNK_BYTES and never crosses 4 KiB; only the first starts unaligned) and issues each one once
 * the read buffer has room for all of its beats (credits): R is never back-pressured and several
 * bursts, of several descriptors, may be outstanding. All reads use ID 0, so they return in order.
 *
 * The output stage takes the descriptors in the same order, realigns the words to lane 0 and
 * sends exactly len bytes as one frame (tid = tag, tkeep all ones except on the tlast beat).
 * A beat with a non-OKAY RRESP ends the frame at once with a tkeep = 0, tlast = 1, tuser = 1 beat
 * (the bytes sent before it are a correct prefix of the payload); the rest of the descriptor's
 * beats are drained and dropped. Every descriptor then yields one status record {tag, error,
 * resp, err_addr} with err_addr the start address of the first failing burst.
 *
 * stop (level) abandons everything: no descriptor is accepted, nothing new is issued, queued
 * descriptors are dropped, R beats of bursts already issued are drained and discarded, and no
 * stream beat or status record is produced (one already presented is withdrawn). busy stays high
 * until nothing is left in flight; hold stop until then. err/err_resp/err_addr show the first
 * error of the descriptor in the output stage as soon as it is seen, ahead of its status record
 * (for a single-descriptor user such as copy_engine); a new descriptor there or stop clears them.
 *
 * len must be 1..2^24 and addr+len <= 2^32 (the caller validates).
 */
module dma_rd #
(
    // AXI data width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64,
    // AXI ID width (all reads use ID 0)
    parameter ID_WIDTH = 4,
    // Largest burst in bytes (power of 2, >= 2*DATA_WIDTH/8, <= 4096 and <= 256 beats)
    parameter CHUNK_BYTES = 512,
    // Width of the descriptor length (bytes)
    parameter LEN_WIDTH = 25,
    // Width of the descriptor tag (and of tid)
    parameter TAG_WIDTH = 8,
    // Descriptors accepted ahead of the output stage (power of 2)
    parameter DESC_FIFO_DEPTH = 4
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
     * Read descriptor input
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
     * AXI-Stream output (lane 0 aligned, one frame per descriptor)
     */
    output wire [DATA_WIDTH-1:0]      m_axis_tdata,
    output wire [DATA_WIDTH/8-1:0]    m_axis_tkeep,
    output wire                       m_axis_tlast,
    output wire [TAG_WIDTH-1:0]       m_axis_tid,
    output wire                       m_axis_tuser,
    output wire                       m_axis_tvalid,
    input  wire                       m_axis_tready,

    /*
     * AXI4 master read address and data channels
     */
    output wire [ID_WIDTH-1:0]        m_axi_arid,
    output wire [31:0]                m_axi_araddr,
    output wire [7:0]                 m_axi_arlen,
    output wire [2:0]                 m_axi_arsize,
    output wire [1:0]                 m_axi_arburst,
    output wire                       m_axi_arlock,
    output wire [3:0]                 m_axi_arcache,
    output wire [2:0]                 m_axi_arprot,
    output wire                       m_axi_arvalid,
    input  wire                       m_axi_arready,
    input  wire [ID_WIDTH-1:0]        m_axi_rid,
    input  wire [DATA_WIDTH-1:0]      m_axi_rdata,
    input  wire [1:0]                 m_axi_rresp,
    input  wire                       m_axi_rlast,
    input  wire                       m_axi_rvalid,
    output wire                       m_axi_rready
);

localparam STRB_WIDTH = DATA_WIDTH/8;
localparam LANE_BITS = $clog2(STRB_WIDTH);
localparam CHUNK_LOG2 = $clog2(CHUNK_BYTES);
// two chunks, so one burst can arrive while the previous one streams out, and at least 32 words,
// so that small chunks still keep enough reads in flight to cover the read latency
localparam BUF_MIN_WORDS = 32;
localparam BUF_DEPTH = (2*CHUNK_BYTES/STRB_WIDTH > BUF_MIN_WORDS) ? 2*CHUNK_BYTES/STRB_WIDTH : BUF_MIN_WORDS;
localparam BUF_LOG2 = $clog2(BUF_DEPTH);
// beat and credit counts; at least 9 bits so that arlen can be sliced out
localparam COUNT_WIDTH = (CHUNK_LOG2 + 2 > 9) ? CHUNK_LOG2 + 2 : 9;
localparam [COUNT_WIDTH-1:0] CREDITS = BUF_DEPTH[COUNT_WIDTH-1:0];
localparam [STRB_WIDTH-1:0] STRB_ALL = {STRB_WIDTH{1'b1}};
localparam [31:0] WORD_BYTES = STRB_WIDTH;
localparam INFO_WIDTH = 32 + LEN_WIDTH + TAG_WIDTH;
localparam [1:0] RESP_OKAY = 2'b00;

// parameters are checked by dma_burst, which both DMA engines instantiate

/*
 * Issue stage
 */
wire                   iss_active;
wire [31:0]            iss_addr;
reg [COUNT_WIDTH-1:0]  credit_reg, credit_next;
reg                    arvalid_reg, arvalid_next;
reg [31:0]             araddr_reg, araddr_next;
reg [7:0]              arlen_reg, arlen_next;

wire                   info_s_ready;
wire                   desc_accept = s_desc_valid && s_desc_ready;
wire                   issue;

// the transfer being issued and its next burst (up to the next CHUNK_BYTES boundary)
wire [COUNT_WIDTH-1:0] burst_bytes;
wire [COUNT_WIDTH-1:0] burst_beats;
wire [7:0]             burst_arlen;
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
    .axlen(burst_arlen),
    .last(burst_is_last)
);

// the cursor advances itself; the read side needs only the burst's beats and address
wire unused_burst = &{1'b0, burst_bytes, burst_is_last};

assign issue = !stop && iss_active && (!arvalid_reg || m_axi_arready) && credit_reg >= burst_beats;

// read buffer: {rresp, rdata}; credits guarantee room for every beat
wire [DATA_WIDTH+1:0]  buf_m_data;
wire                   buf_m_valid;
wire                   buf_pop;
wire                   buf_s_ready;
wire [BUF_LOG2:0]      buf_count;
wire [DATA_WIDTH-1:0]  buf_data = buf_m_data[DATA_WIDTH-1:0];
wire [1:0]             buf_resp = buf_m_data[DATA_WIDTH+1:DATA_WIDTH];

// single ID: responses are matched by order; rlast is implied by the credit accounting
wire unused_rd = &{1'b0, m_axi_rid, m_axi_rlast, buf_s_ready, buf_count};

assign s_desc_ready = !stop && !iss_active && info_s_ready;

assign m_axi_arid = {ID_WIDTH{1'b0}};
assign m_axi_araddr = araddr_reg;
assign m_axi_arlen = arlen_reg;
assign m_axi_arsize = LANE_BITS[2:0];
assign m_axi_arburst = 2'b01; // INCR
assign m_axi_arlock = 1'b0;
assign m_axi_arcache = 4'b0011;
assign m_axi_arprot = 3'b010;
assign m_axi_arvalid = arvalid_reg;
assign m_axi_rready = 1'b1;

always @* begin
    arvalid_next = arvalid_reg && !m_axi_arready;
    araddr_next = araddr_reg;
    arlen_next = arlen_reg;

    credit_next = credit_reg - (issue ? burst_beats : {COUNT_WIDTH{1'b0}}) +
        {{(COUNT_WIDTH-1){1'b0}}, buf_pop};

    if (issue) begin
        araddr_next = iss_addr;
        arlen_next = burst_arlen;
        arvalid_next = 1'b1;
    end
end

always @(posedge clk) begin
    credit_reg <= credit_next;
    arvalid_reg <= arvalid_next;
    araddr_reg <= araddr_next;
    arlen_reg <= arlen_next;

    if (rst) begin
        credit_reg <= CREDITS;
        arvalid_reg <= 1'b0;
    end
end

dma_fifo #(
    .WIDTH(DATA_WIDTH + 2),
    .DEPTH(BUF_DEPTH)
)
buf_inst (
    .clk(clk),
    .rst(rst),
    .s_data({m_axi_rresp, m_axi_rdata}),
    .s_valid(m_axi_rvalid),
    .s_ready(buf_s_ready),
    .m_data(buf_m_data),
    .m_valid(buf_m_valid),
    .m_ready(buf_pop),
    .count(buf_count)
);

/*
 * Descriptors on their way from the issue stage to the output stage
 */
wire [INFO_WIDTH-1:0]  info_m_data;
wire                   info_m_valid;
wire                   info_pop;
wire [$clog2(DESC_FIFO_DEPTH):0] info_count;

dma_fifo #(
    .WIDTH(INFO_WIDTH),
    .DEPTH(DESC_FIFO_DEPTH)
)
info_inst (
    .clk(clk),
    .rst(rst),
    .s_data({s_desc_tag, s_desc_len, s_desc_addr}),
    .s_valid(desc_accept),
    .s_ready(info_s_ready),
    .m_data(info_m_data),
    .m_valid(info_m_valid),
    .m_ready(info_pop),
    .count(info_count)
);

/*
 * Output stage: realigner, frame and status
 *
 * With s = addr % B (B bytes per beat), output word j is {in[j+1], in[j]} >> s bytes when s > 0
 * (the first beat only primes prev), and in[j] when s = 0. When s > 0 and the payload ends in the
 * last source word's lanes below s, one "flush" word follows the last source word.
 */
wire [31:0]            i_addr = info_m_data[31:0];
wire [LEN_WIDTH-1:0]   i_len = info_m_data[32 +: LEN_WIDTH];
wire [TAG_WIDTH-1:0]   i_tag = info_m_data[32+LEN_WIDTH +: TAG_WIDTH];
wire [LANE_BITS-1:0]   i_lane = i_addr[LANE_BITS-1:0];
wire [LEN_WIDTH-1:0]   i_len_m1 = i_len - 1'b1;
wire [LEN_WIDTH:0]     i_last_off = {{(LEN_WIDTH+1-LANE_BITS){1'b0}}, i_lane} + {1'b0, i_len_m1};
wire [LEN_WIDTH-1:0]   i_src_words = {{(LANE_BITS-1){1'b0}}, i_last_off[LEN_WIDTH:LANE_BITS]} + 1'b1;
wire [LEN_WIDTH-1:0]   i_out_words = {{LANE_BITS{1'b0}}, i_len_m1[LEN_WIDTH-1:LANE_BITS]} + 1'b1;
wire                   unused_last_off = &{1'b0, i_last_off[LANE_BITS-1:0]};
wire                   i_hold = i_lane != {LANE_BITS{1'b0}};
wire [LANE_BITS-1:0]   i_end_lane = i_len_m1[LANE_BITS-1:0];

reg                    o_active_reg, o_active_next;
reg                    o_hold_reg, o_hold_next;
reg                    o_first_reg, o_first_next;
reg                    o_flush_needed_reg, o_flush_needed_next;
reg                    o_flush_pending_reg, o_flush_pending_next;
reg [LANE_BITS:0]      o_shift_reg, o_shift_next;
reg [LEN_WIDTH-1:0]    o_src_left_reg, o_src_left_next;
reg [LEN_WIDTH-1:0]    o_out_left_reg, o_out_left_next;
reg [STRB_WIDTH-1:0]   o_last_keep_reg, o_last_keep_next;
reg [TAG_WIDTH-1:0]    o_tag_reg, o_tag_next;
reg [31:0]             o_src_addr_reg, o_src_addr_next;
// aligned address of the next source word, to name the burst of a failing beat
reg [31:0]             o_word_addr_reg, o_word_addr_next;
reg [DATA_WIDTH-1:0]   o_prev_reg, o_prev_next;
reg                    o_err_reg, o_err_next;
reg [1:0]              o_err_resp_reg, o_err_resp_next;
reg [31:0]             o_err_addr_reg, o_err_addr_next;

reg [DATA_WIDTH-1:0]   axis_tdata_reg, axis_tdata_next;
reg [STRB_WIDTH-1:0]   axis_tkeep_reg, axis_tkeep_next;
reg                    axis_tlast_reg, axis_tlast_next;
reg [TAG_WIDTH-1:0]    axis_tid_reg, axis_tid_next;
reg                    axis_tuser_reg, axis_tuser_next;
reg                    axis_tvalid_reg, axis_tvalid_next;

reg [TAG_WIDTH-1:0]    sts_tag_reg, sts_tag_next;
reg                    sts_error_reg, sts_error_next;
reg [1:0]              sts_resp_reg, sts_resp_next;
reg [31:0]             sts_addr_reg, sts_addr_next;
reg                    sts_valid_reg, sts_valid_next;

reg                    finish;
reg                    load;

wire out_free = !axis_tvalid_reg || m_axis_tready;
wire sts_free = !sts_valid_reg || m_sts_ready;
wire o_last_src = o_src_left_reg == {{(LEN_WIDTH-1){1'b0}}, 1'b1};
// the last source word needs the status slot, since it may finish the descriptor
wire o_pop = !stop && o_active_reg && !o_flush_pending_reg && buf_m_valid && out_free && (!o_last_src || sts_free);
wire o_flush = !stop && o_active_reg && o_flush_pending_reg && out_free && sts_free;
wire word_bad = buf_resp != RESP_OKAY;

wire [2*DATA_WIDTH-1:0] shift_in = {o_pop ? buf_data : o_prev_reg, o_prev_reg};
wire [DATA_WIDTH-1:0]   shifted = shift_in[{o_shift_reg, 3'b000} +: DATA_WIDTH];

// bursts after the first start on chunk boundaries
wire [31:0] word_chunk = {o_word_addr_reg[31:CHUNK_LOG2], {CHUNK_LOG2{1'b0}}};
wire [31:0] burst_start = (word_chunk > o_src_addr_reg) ? word_chunk : o_src_addr_reg;

// while stopping, every word and queued descriptor is dropped
assign buf_pop = o_pop || (stop && buf_m_valid);
assign info_pop = load || (stop && info_m_valid);

// reserved credits are beats still on the bus or in the buffer
assign busy = iss_active || arvalid_reg || credit_reg != CREDITS || info_count != 0 || o_active_reg ||
    axis_tvalid_reg || sts_valid_reg;
assign err = o_err_reg;
assign err_resp = o_err_resp_reg;
assign err_addr = o_err_addr_reg;

assign m_axis_tdata = axis_tdata_reg;
assign m_axis_tkeep = axis_tkeep_reg;
assign m_axis_tlast = axis_tlast_reg;
assign m_axis_tid = axis_tid_reg;
assign m_axis_tuser = axis_tuser_reg;
assign m_axis_tvalid = axis_tvalid_reg;

assign m_sts_tag = sts_tag_reg;
assign m_sts_error = sts_error_reg;
assign m_sts_resp = sts_resp_reg;
assign m_sts_err_addr = sts_addr_reg;
assign m_sts_valid = sts_valid_reg;

always @* begin
    o_active_next = o_active_reg;
    o_hold_next = o_hold_reg;
    o_first_next = o_first_reg;
    o_flush_needed_next = o_flush_needed_reg;
    o_flush_pending_next = o_flush_pending_reg;
    o_shift_next = o_shift_reg;
    o_src_left_next = o_src_left_reg;
    o_out_left_next = o_out_left_reg;
    o_last_keep_next = o_last_keep_reg;
    o_tag_next = o_tag_reg;
    o_src_addr_next = o_src_addr_reg;
    o_word_addr_next = o_word_addr_reg;
    o_prev_next = o_prev_reg;
    o_err_next = o_err_reg;
    o_err_resp_next = o_err_resp_reg;
    o_err_addr_next = o_err_addr_reg;

    axis_tdata_next = axis_tdata_reg;
    axis_tkeep_next = axis_tkeep_reg;
    axis_tlast_next = axis_tlast_reg;
    axis_tid_next = axis_tid_reg;
    axis_tuser_next = axis_tuser_reg;
    axis_tvalid_next = axis_tvalid_reg && !m_axis_tready;

    sts_tag_next = sts_tag_reg;
    sts_error_next = sts_error_reg;
    sts_resp_next = sts_resp_reg;
    sts_addr_next = sts_addr_reg;
    sts_valid_next = sts_valid_reg && !m_sts_ready;

    finish = 1'b0;

    if (o_pop) begin
        o_prev_next = buf_data;
        o_first_next = 1'b0;
        o_src_left_next = o_src_left_reg - 1'b1;
        o_word_addr_next = o_word_addr_reg + WORD_BYTES;
        if (!o_err_reg && word_bad) begin
            // first failing beat: end the frame here, drain the rest
            o_err_next = 1'b1;
            o_err_resp_next = buf_resp;
            o_err_addr_next = burst_start;
            axis_tdata_next = shifted;
            axis_tkeep_next = {STRB_WIDTH{1'b0}};
            axis_tlast_next = 1'b1;
            axis_tid_next = o_tag_reg;
            axis_tuser_next = 1'b1;
            axis_tvalid_next = 1'b1;
        end else if (!o_err_reg && !(o_hold_reg && o_first_reg)) begin
            axis_tdata_next = shifted;
            axis_tkeep_next = (o_out_left_reg == 1) ? o_last_keep_reg : STRB_ALL;
            axis_tlast_next = o_out_left_reg == 1;
            axis_tid_next = o_tag_reg;
            axis_tuser_next = 1'b0;
            axis_tvalid_next = 1'b1;
            o_out_left_next = o_out_left_reg - 1'b1;
        end
        if (o_last_src) begin
            if (o_flush_needed_reg && !o_err_next) begin
                o_flush_pending_next = 1'b1;
            end else begin
                finish = 1'b1;
            end
        end
    end

    if (o_flush) begin
        axis_tdata_next = shifted;
        axis_tkeep_next = o_last_keep_reg;
        axis_tlast_next = 1'b1;
        axis_tid_next = o_tag_reg;
        axis_tuser_next = 1'b0;
        axis_tvalid_next = 1'b1;
        o_flush_pending_next = 1'b0;
        finish = 1'b1;
    end

    if (finish) begin
        sts_tag_next = o_tag_reg;
        sts_error_next = o_err_next;
        sts_resp_next = o_err_resp_next;
        sts_addr_next = o_err_addr_next;
        sts_valid_next = 1'b1;
        o_active_next = 1'b0;
    end

    // the next descriptor may start in the cycle the current one finishes
    load = !stop && (!o_active_reg || finish) && info_m_valid;
    if (load) begin
        o_active_next = 1'b1;
        o_hold_next = i_hold;
        o_first_next = 1'b1;
        o_flush_needed_next = i_hold && (i_out_words == i_src_words);
        o_flush_pending_next = 1'b0;
        o_shift_next = i_hold ? {1'b0, i_lane} : {1'b1, {LANE_BITS{1'b0}}};
        o_src_left_next = i_src_words;
        o_out_left_next = i_out_words;
        o_last_keep_next = STRB_ALL >> ~i_end_lane;
        o_tag_next = i_tag;
        o_src_addr_next = i_addr;
        o_word_addr_next = {i_addr[31:LANE_BITS], {LANE_BITS{1'b0}}};
        o_err_next = 1'b0;
        o_err_resp_next = RESP_OKAY;
        o_err_addr_next = 32'd0;
    end

    if (stop) begin
        o_active_next = 1'b0;
        o_flush_pending_next = 1'b0;
        o_err_next = 1'b0;
        axis_tvalid_next = 1'b0;
        sts_valid_next = 1'b0;
    end
end

always @(posedge clk) begin
    o_active_reg <= o_active_next;
    o_hold_reg <= o_hold_next;
    o_first_reg <= o_first_next;
    o_flush_needed_reg <= o_flush_needed_next;
    o_flush_pending_reg <= o_flush_pending_next;
    o_shift_reg <= o_shift_next;
    o_src_left_reg <= o_src_left_next;
    o_out_left_reg <= o_out_left_next;
    o_last_keep_reg <= o_last_keep_next;
    o_tag_reg <= o_tag_next;
    o_src_addr_reg <= o_src_addr_next;
    o_word_addr_reg <= o_word_addr_next;
    o_prev_reg <= o_prev_next;
    o_err_reg <= o_err_next;
    o_err_resp_reg <= o_err_resp_next;
    o_err_addr_reg <= o_err_addr_next;

    axis_tdata_reg <= axis_tdata_next;
    axis_tkeep_reg <= axis_tkeep_next;
    axis_tlast_reg <= axis_tlast_next;
    axis_tid_reg <= axis_tid_next;
    axis_tuser_reg <= axis_tuser_next;
    axis_tvalid_reg <= axis_tvalid_next;

    sts_tag_reg <= sts_tag_next;
    sts_error_reg <= sts_error_next;
    sts_resp_reg <= sts_resp_next;
    sts_addr_reg <= sts_addr_next;
    sts_valid_reg <= sts_valid_next;

    if (rst) begin
        o_active_reg <= 1'b0;
        o_flush_pending_reg <= 1'b0;
        o_err_reg <= 1'b0;
        axis_tvalid_reg <= 1'b0;
        sts_valid_reg <= 1'b0;
    end
end

endmodule

`resetall
